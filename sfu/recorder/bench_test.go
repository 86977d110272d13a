package recorder

import (
	"io"
	"testing"
	"time"

	"github.com/pion/rtp"
)

type discardFile struct{}

func (discardFile) Write(p []byte) (int, error)            { return len(p), nil }
func (discardFile) WriteAt(p []byte, _ int64) (int, error) { return len(p), nil }
func (discardFile) Close() error                           { return nil }

var _ io.WriterAt = discardFile{}

func discard(string) (WriteAtCloser, error) { return discardFile{}, nil }

// BenchmarkWriteAudio is what recording adds to the mixer's goroutine per
// packet of the mix: taking a pooled buffer, copying the packet in and
// queueing it. (The buffer is handed back at once here; the writer's side
// is BenchmarkMuxAudioPacket.)
func BenchmarkWriteAudio(b *testing.B) {
	r := &Recording{t0: time.Now(), free: make(chan *packet, poolSize), full: make(chan *packet, poolSize)}
	for range poolSize {
		r.free <- &packet{}
	}
	p := audioPacket(0, 0, make([]byte, 80))
	p.Payload[0] = 31 << 3
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.SequenceNumber++
		p.Timestamp += frameSamples
		r.WriteAudio(p)
		r.free <- <-r.full
	}
}

// BenchmarkMuxAudioPacket is the writer goroutine's work per 20 ms packet
// of the mix: Ogg lacing, a page (CRC) every 50 packets.
func BenchmarkMuxAudioPacket(b *testing.B) {
	rec := &Recording{cfg: Config{Silence: []byte{31 << 3}, Create: discard}, base: "bench"}
	w, err := newWriter(rec)
	if err != nil {
		b.Fatal(err)
	}
	pk := &packet{kind: kindAudio, n: 80}
	pk.buf[0] = 31 << 3
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		pk.ts += frameSamples
		if err := w.audio(pk); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMuxVideoPacket is the writer's work per video packet: frames of
// 4 packets of 1100 bytes (about 1.3 Mbit/s at 30 frames a second),
// gathered and written as WebM blocks.
func BenchmarkMuxVideoPacket(b *testing.B) {
	rec := &Recording{cfg: Config{Silence: []byte{31 << 3}, Create: discard}, base: "bench"}
	w, err := newWriter(rec)
	if err != nil {
		b.Fatal(err)
	}
	var seq uint16
	var pkts []*rtp.Packet
	for i := range 30 {
		pkts = append(pkts, packetize(vp8Frame(i == 0, 1280, 720, 'a', 4400), &seq, uint32(3000*i), 1100, true)...)
	}
	pk := &packet{kind: kindVideo, source: 1}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := pkts[i%len(pkts)]
		if i%len(pkts) == 0 && i > 0 {
			pk.source++ // start over at the key frame as a new source
		}
		pk.seq, pk.ts, pk.marker = p.SequenceNumber, p.Timestamp+uint32(i/len(pkts))*90000, p.Marker
		pk.at = time.Duration(i/4) * 33 * time.Millisecond
		pk.n = copy(pk.buf[:], p.Payload)
		if err := w.video(pk); err != nil {
			b.Fatal(err)
		}
	}
}
