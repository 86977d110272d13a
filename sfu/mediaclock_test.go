package sfu

import (
	"testing"
	"time"
)

// TestMediaClock: one frame per period, late wake-ups catch up (bounded),
// longer stalls skip the oldest frames, and the schedule never drifts.
func TestMediaClock(t *testing.T) {
	const p = 20 * time.Millisecond
	tests := []struct {
		name        string
		wake        []time.Duration // since start
		wantProduce []int
		wantSkip    []int
		wantNextAt  time.Duration // after the last wake
	}{
		{"on time", []time.Duration{20 * time.Millisecond, 40 * time.Millisecond, 60 * time.Millisecond}, []int{1, 1, 1}, []int{0, 0, 0}, 80 * time.Millisecond},
		{"early wake-up does nothing", []time.Duration{19 * time.Millisecond, 20 * time.Millisecond}, []int{0, 1}, []int{0, 0}, 40 * time.Millisecond},
		{"late by 2.5 periods catches up", []time.Duration{20 * time.Millisecond, 95 * time.Millisecond}, []int{1, 3}, []int{0, 0}, 100 * time.Millisecond},
		{"a stall longer than the burst skips the oldest", []time.Duration{20 * time.Millisecond, 240 * time.Millisecond}, []int{1, 5}, []int{0, 6}, 260 * time.Millisecond},
		{"jittery wake-ups keep the average", []time.Duration{25 * time.Millisecond, 39 * time.Millisecond, 61 * time.Millisecond, 80 * time.Millisecond}, []int{1, 0, 2, 1}, []int{0, 0, 0, 0}, 100 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newMediaClock(p, maxMixBurst, t0)
			for i, w := range tt.wake {
				produce, skip := c.due(t0.Add(w))
				if produce != tt.wantProduce[i] || skip != tt.wantSkip[i] {
					t.Fatalf("wake %d at +%v: produce %d skip %d, want %d and %d", i, w, produce, skip, tt.wantProduce[i], tt.wantSkip[i])
				}
			}
			if got := c.next().Sub(t0); got != tt.wantNextAt {
				t.Fatalf("next frame at +%v, want +%v", got, tt.wantNextAt)
			}
		})
	}
}

// TestMediaClockKeepsRate: over a minute of wake-ups that are each late by
// a random amount, produced plus skipped frames equal elapsed time exactly.
func TestMediaClockKeepsRate(t *testing.T) {
	c := newMediaClock(20*time.Millisecond, maxMixBurst, t0)
	var frames int
	now := t0
	for i := 0; now.Sub(t0) < time.Minute; i++ {
		now = c.next().Add(time.Duration(i*7919%31) * time.Millisecond)
		produce, skip := c.due(now)
		frames += produce + skip
	}
	if want := int(now.Sub(t0) / (20 * time.Millisecond)); frames != want {
		t.Fatalf("%d frames over %v, want %d", frames, now.Sub(t0), want)
	}
}
