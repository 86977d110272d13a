package sfu

import (
	"fmt"
	"testing"

	"github.com/pion/rtp"

	"xphone/sfu/codec"
	"xphone/sfu/mixer"
)

type nopForward struct{}

func (nopForward) Forward(*rtp.Packet) {}

// BenchmarkMixerTickOpus is one 20 ms mixer tick with real Opus coders
// (the build's implementation): 3 talkers decoded, 3 mix-minus streams and
// one shared stream encoded, N−3 silent participants. ns/op × 50 is the
// mixer's CPU per second of conference; it must stay flat in N.
func BenchmarkMixerTickOpus(b *testing.B) {
	enc, err := codec.NewOpusEncoder(codec.OpusSampleRate, 1, codec.VoIP)
	if err != nil {
		b.Fatal(err)
	}
	voice := make([]int16, 960)
	for i := range voice {
		voice[i] = int16((i % 97) * 200)
	}
	payload := make([]byte, 1500)
	n, err := enc.Encode(voice, payload)
	if err != nil {
		b.Fatal(err)
	}
	payload = payload[:n]
	for _, size := range []int{10, 100, 300} {
		b.Run(fmt.Sprintf("%s/N=%d", codec.Implementation, size), func(b *testing.B) {
			m, err := mixer.New(mixer.Config{TopK: 3, Threshold: 50, HoldTicks: 30, PT: 111}, OpusCodecs{Complexity: 5, Bitrate: 32000}, nopForward{})
			if err != nil {
				b.Fatal(err)
			}
			parts := make([]*mixer.Participant, size)
			for i := range parts {
				parts[i] = mixer.NewParticipant("p", nopForward{}, func(bool) {})
				m.Add(parts[i])
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
