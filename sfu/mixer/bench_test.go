package mixer

import (
	"fmt"
	"testing"

	"github.com/pion/rtp"
)

type nopWriter struct{}

func (nopWriter) Forward(*rtp.Packet) {}

// BenchmarkTick measures one mixer tick with 3 talkers among N participants
// (codec cost excluded: see sfu/codec for that). Cost must stay flat in N
// apart from a few nanoseconds per silent participant.
func BenchmarkTick(b *testing.B) {
	for _, c := range []struct{ n, frames int }{{10, 1}, {100, 1}, {300, 1}, {1000, 1}, {1000, 3}} {
		name := fmt.Sprintf("N=%d", c.n)
		if c.frames > 1 {
			name += fmt.Sprintf("/listener-frames=%d", c.frames)
		}
		n := c.n
		b.Run(name, func(b *testing.B) {
			m, err := New(Config{TopK: 3, Threshold: 60, HoldTicks: 10, SharedFrames: c.frames}, pcmCoders{}, nopWriter{})
			if err != nil {
				b.Fatal(err)
			}
			parts := make([]*Participant, n)
			for i := range parts {
				parts[i] = NewParticipant("p", nopWriter{}, func(bool) {})
				m.Add(parts[i])
			}
			payload := make([]byte, 160) // a typical Opus voice frame; not silence, so it is mixed and sent
			for i := range payload {
				payload[i] = 0x10
			}
			var seq uint16
			push := func() {
				seq++
				for i, p := range parts {
					level := uint8(127)
					if i < 3 {
						level = 20
					}
					p.Push(seq, payload, level)
				}
			}
			push()
			push()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				push()
				b.StartTimer()
				m.Tick()
			}
		})
	}
}
