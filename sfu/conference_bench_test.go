package sfu

import (
	"fmt"
	"testing"
	"time"

	"github.com/pion/rtp"

	"xphone/sfu/codec"
	"xphone/sfu/mixer"
	recording "xphone/sfu/recorder"
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

// recordingForward feeds the mixer's shared stream to a recording, as a
// recorded room's sharedUp does.
type recordingForward struct{ rec *recording.Recording }

func (f recordingForward) Forward(p *rtp.Packet) { f.rec.WriteAudio(p) }

type discardFile struct{}

func (discardFile) Write(p []byte) (int, error)            { return len(p), nil }
func (discardFile) WriteAt(p []byte, _ int64) (int, error) { return len(p), nil }
func (discardFile) Close() error                           { return nil }

// BenchmarkMixerTickOpusRecording is BenchmarkMixerTickOpus/N=10 in a room
// being recorded: the shared mix also goes to the recorder (a copy into
// its pool; the Ogg writing runs on the recorder's goroutine, measured by
// sfu/recorder's BenchmarkMuxAudioPacket). The difference between the two
// is what recording costs the mixer per tick.
func BenchmarkMixerTickOpusRecording(b *testing.B) {
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
	for _, recorded := range []bool{false, true} {
		name := codec.Implementation + "/N=10/plain"
		var out mixer.PacketWriter = nopForward{}
		if recorded {
			name = codec.Implementation + "/N=10/recorded"
			rec, err := recording.Start(recording.Config{Dir: b.TempDir(), Room: "800", Started: time.Now(), Silence: []byte{0xf8},
				Create: func(string) (recording.WriteAtCloser, error) { return discardFile{}, nil }})
			if err != nil {
				b.Fatal(err)
			}
			defer rec.Stop()
			out = recordingForward{rec}
		}
		b.Run(name, func(b *testing.B) {
			m, err := mixer.New(mixer.Config{TopK: 3, Threshold: 50, HoldTicks: 30, PT: 111}, OpusCodecs{Complexity: 5, Bitrate: 32000}, out)
			if err != nil {
				b.Fatal(err)
			}
			parts := make([]*mixer.Participant, 10)
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
