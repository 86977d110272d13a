package sfu

import (
	"fmt"
	"slices"
	"testing"
)

// TestCascadeRankTopK: only the K loudest talkers' audio crosses to a
// node; equal talkers do not take turns; a talker pausing keeps its place
// for a while unless someone else talks.
func TestCascadeRankTopK(t *testing.T) {
	r := &CascadeRoom{topK: 3, sinks: map[sinkKey]*sinkSub{}}
	subs := make([]*sinkSub, 5)
	for i := range subs {
		up := NewUpTrack(fmt.Sprint("a", i), Audio, opusCodec.MimeType)
		subs[i] = &sinkSub{sink: &cascadeSink{kind: Audio}, up: up}
		r.sinks[sinkKey{"n2", up}] = subs[i]
	}
	levels := func(ls ...uint8) {
		for i, l := range ls {
			subs[i].up.level.Store(uint32(l))
		}
	}
	crossing := func() (out []int) {
		for i, s := range subs {
			if s.sink.on.Load() {
				out = append(out, i)
			}
		}
		return out
	}
	levels(30, 10, 127, 20, 40)
	r.Rank()
	if got := fmt.Sprint(crossing()); got != "[0 1 3]" {
		t.Fatalf("crossing %s, want the three loudest [0 1 3]", got)
	}
	levels(20, 20, 20, 20, 20)
	first := fmt.Sprint(crossing())
	for range 10 {
		r.Rank()
		if got := fmt.Sprint(crossing()); got != first {
			t.Fatalf("equal talkers took turns: %s then %s", first, got)
		}
	}
	levels(127, 127, 127, 127, 127) // a pause: the last three keep crossing
	r.Rank()
	if got := fmt.Sprint(crossing()); got != first {
		t.Fatalf("a pause cut them off: %s", got)
	}
	levels(127, 127, 15, 127, 127) // a new talker takes a place at once
	r.Rank()
	if got := crossing(); len(got) != 3 || !slices.Contains(got, 2) {
		t.Fatalf("crossing %v, want 2 among three", got)
	}
	levels(127, 127, 127, 127, 127)
	for range rankHold + 1 {
		r.Rank()
	}
	if got := crossing(); len(got) != 0 {
		t.Fatalf("silence still crossing after the hold: %v", got)
	}
}
