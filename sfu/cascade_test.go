package sfu

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"github.com/pion/rtp"
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

// TestCascadeStreamAcrossLinks: a stream running past a sequence wrap is
// decrypted by a node that links to it only then (a new host), a stream
// without a link for longer than half the sequence space resumes, and the
// same packet sent to two nodes is the same bytes.
func TestCascadeStreamAcrossLinks(t *testing.T) {
	key, err := NewCascadeKey()
	if err != nil {
		t.Fatal(err)
	}
	tx, err := NewCascade("127.0.0.1:0", testLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	rx, err := NewCascade("127.0.0.1:0", testLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	st, err := tx.stream(42, key)
	if err != nil {
		t.Fatal(err)
	}
	sink := &cascadeSink{c: tx, st: st, ssrc: 42, kind: Video, buf: make([]byte, 1500), out: make([]byte, 0, 1600)}
	sink.hdr.Version, sink.hdr.SSRC = 2, 42
	seal := func(i int) []byte {
		orig := uint16(i)
		seq, ok := st.next(orig)
		if !ok {
			t.Fatalf("packet %d refused", orig)
		}
		sink.hdr.SequenceNumber = seq
		n, _ := sink.hdr.MarshalTo(sink.buf)
		n += copy(sink.buf[n:], []byte{1, 2, 3})
		out, err := st.ctx.EncryptRTP(nil, sink.buf[:n], &sink.enc)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	for i := range 70000 { // past one wrap, nobody listening
		seal(i)
	}
	if err := rx.Accept(tx.Addr(), key); err != nil {
		t.Fatal(err)
	}
	up := NewUpTrack("x", Video, "video/VP8")
	got := &countSink{}
	up.Subscribe(got)
	rx.route(42, up)
	var p rtp.Packet
	rx.receive(seal(70000), tx.Addr(), &p)
	if got.n != 1 {
		t.Fatal("a node linking after a sequence wrap cannot decrypt the stream")
	}
	a, b := seal(70001), seal(70001) // one packet to two nodes
	if !bytes.Equal(a, b) {
		t.Fatal("the same packet encrypted twice differs")
	}
	rx.receive(a, tx.Addr(), &p)
	rx.receive(seal(70001+40000), tx.Addr(), &p) // no link for 40 000 packets
	if got.n != 3 {
		t.Fatalf("forwarded %d of 3 packets", got.n)
	}
}
