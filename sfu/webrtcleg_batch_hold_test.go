package sfu

import "testing"

// TestReadBatchFollowsFrames: the read batch is held while a video
// frame's packets arrive and released by its marker; a frame left open
// by a lost marker stops counting once a held send started a new
// generation, and reopens with its next packet.
func TestReadBatchFollowsFrames(t *testing.T) {
	rb := &readBatch{gen: 1}
	a, b := NewUpTrack("a", Video, "video/VP8"), NewUpTrack("b", Video, "video/VP8")
	steps := []struct {
		u      *UpTrack
		marker bool
		open   int
	}{
		{a, false, 1}, {a, false, 1}, {b, false, 2}, {a, true, 1}, {b, true, 0},
		{a, true, 0}, // a one-packet frame holds nothing
		{b, false, 1},
	}
	for i, s := range steps {
		rb.noteFrame(s.u, s.marker)
		if rb.open != s.open {
			t.Fatalf("step %d: %d open frames, want %d", i, rb.open, s.open)
		}
	}
	rb.gen, rb.open = rb.gen+1, 0 // what FlushHeld does after its send
	rb.noteFrame(b, true)         // b's marker from the old generation
	if rb.open != 0 {
		t.Fatalf("an old generation's frame closed below zero: %d", rb.open)
	}
	rb.noteFrame(a, false)
	if rb.open != 1 {
		t.Fatalf("a new frame after a held send: %d open, want 1", rb.open)
	}
}
