package mixer

import (
	"bytes"
	"fmt"
	"testing"
)

func TestPackFramesCode3(t *testing.T) {
	a := append([]byte{0x78}, bytes.Repeat([]byte{1}, 10)...)
	b := append([]byte{0x78}, bytes.Repeat([]byte{2}, 300)...) // two-byte length if it came first
	dst := make([]byte, 1500)
	n, ok := packFrames(dst, [][]byte{b, a})
	if !ok {
		t.Fatal("two frames of one configuration not packed")
	}
	// TOC with code 3, VBR count 2, 300 coded as 252+0, (300-252)/4 = 12.
	want := append([]byte{0x7b, 0x82, 252, 12}, append(b[1:], a[1:]...)...)
	if !bytes.Equal(dst[:n], want) {
		t.Fatalf("packed % x…, want % x…", dst[:8], want[:8])
	}
	if _, ok := packFrames(dst, [][]byte{a, {0x80, 1}}); ok {
		t.Error("frames of different TOC configurations packed together")
	}
	if _, ok := packFrames(dst[:100], [][]byte{a, b}); ok {
		t.Error("packed into a buffer too small")
	}
}

// TestSharedFramesFollowsSetConfig: a live policy change to two frames per
// packet halves the shared mix's packets from the next tick on.
func TestSharedFramesFollowsSetConfig(t *testing.T) {
	m, shared := newTestMixer(t, 3)
	count := sharedPacketCounter(t, m, shared)
	count(4) // prebuffering
	if got := count(10); got != 10 {
		t.Fatalf("%d shared packets in 10 ticks at one frame per packet, want 10", got)
	}
	cfg := m.cfg
	cfg.SharedFrames = 2
	if err := m.SetConfig(cfg); err != nil {
		t.Fatal(err)
	}
	if got := count(10); got != 5 {
		t.Fatalf("%d shared packets in 10 ticks at two frames per packet, want 5", got)
	}
	cfg.SharedFrames = 4
	if m.SetConfig(cfg) == nil {
		t.Error("SetConfig accepted four frames per packet")
	}
}

// TestSharedFramesFollowRoomSize: with SharedFrames 0 the shared mix goes
// from 20 to 40 ms packets as the room reaches 50 and to 60 ms at 150, and
// back when people leave.
func TestSharedFramesFollowRoomSize(t *testing.T) {
	m, shared := newTestMixer(t, 3)
	count := sharedPacketCounter(t, m, shared)
	var listeners []*member
	grow := func(to int) {
		for m.Len() < to {
			listeners = append(listeners, newMember(t, m, fmt.Sprintf("listener-%d", m.Len())))
		}
	}
	count(4) // prebuffering
	grow(49)
	if got := count(12); got != 12 {
		t.Fatalf("%d shared packets in 12 ticks with 49 in the room, want 12 (20 ms)", got)
	}
	grow(50)
	if got := count(12); got != 6 {
		t.Fatalf("%d shared packets in 12 ticks with 50 in the room, want 6 (40 ms)", got)
	}
	grow(150)
	if got := count(12); got != 4 {
		t.Fatalf("%d shared packets in 12 ticks with 150 in the room, want 4 (60 ms)", got)
	}
	for _, l := range listeners[len(listeners)-2:] {
		m.Remove(l.p)
	}
	if got := count(12); got != 6 {
		t.Fatalf("%d shared packets in 12 ticks with 148 in the room, want 6 (40 ms)", got)
	}
}

// sharedPacketCounter adds a talker to m and returns a function that runs
// ticks ticks of their speech and counts the shared mix's packets.
func sharedPacketCounter(t *testing.T, m *Mixer, shared *capture) func(ticks int) int {
	a := newMember(t, m, "a")
	return func(ticks int) int {
		before := len(shared.headers)
		for range ticks {
			a.say(100, 10) // payload bytes 0x64 0x00…: a code-0 "TOC" that packs
			m.Tick()
		}
		return len(shared.headers) - before
	}
}
