package sfutest

import (
	"testing"
	"time"
)

// TestAudioClock: the ratio of media time to wall time, over timestamp
// wrap-around and with reordered packets.
func TestAudioClock(t *testing.T) {
	t0 := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name      string
		start     uint32
		steps     []int32 // timestamp change of each packet, one packet every 20 ms
		wantRatio float64
	}{
		{"real time", 1000, []int32{960, 960, 960, 960}, 1},
		{"every other frame lost from the clock", 1000, []int32{960, 0, 960, 0}, 0.5},
		{"wraps around", 0xffffffff - 1000, []int32{960, 960, 960, 960}, 1},
		{"a reordered pair counts once", 1000, []int32{960, 1920, -960, 1920}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a audioClock
			ts, at := tt.start, t0
			a.observe(ts, 960, at)
			for _, s := range tt.steps {
				ts += uint32(s)
				at = at.Add(20 * time.Millisecond)
				a.observe(ts, 960, at)
			}
			got := float64(a.media) / 48000 / a.last.Sub(a.first).Seconds()
			if got < tt.wantRatio-1e-9 || got > tt.wantRatio+1e-9 {
				t.Fatalf("ratio %v, want %v", got, tt.wantRatio)
			}
		})
	}
}

// TestAudioClockAcrossPacketSizes: a receiver moved from 20 ms packets to
// 60 ms ones (sent when their last frame is done) keeps real time.
func TestAudioClockAcrossPacketSizes(t *testing.T) {
	t0 := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	var a audioClock
	at := t0
	for k := uint32(0); k < 10; k++ { // frames 0..9, one packet each, sent as each ends
		at = t0.Add(time.Duration(k+1) * 20 * time.Millisecond)
		a.observe(k*960, 960, at)
	}
	for k := uint32(10); k < 19; k += 3 { // frames 10..18 in packets of three
		at = t0.Add(time.Duration(k+3) * 20 * time.Millisecond)
		a.observe(k*960, 2880, at)
	}
	if got := float64(a.media) / 48000 / a.last.Sub(a.first).Seconds(); got < 0.999999 || got > 1.000001 {
		t.Fatalf("ratio %v across packet sizes, want 1", got)
	}
}
