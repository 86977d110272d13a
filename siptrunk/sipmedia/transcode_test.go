package sipmedia

import (
	"math"
	"testing"

	"github.com/pion/rtp"

	"xphone/sfu"
	"xphone/sfu/codec"
)

// upSink records what an UpTrack forwards.
type upSink struct {
	seqs    []uint16
	levels  []uint8
	sizes   []int
	stamps  []uint32
	markers []bool
}

func (s *upSink) WriteRTP(src *sfu.UpTrack, p *rtp.Packet) {
	s.seqs = append(s.seqs, p.SequenceNumber)
	s.stamps, s.markers = append(s.stamps, p.Timestamp), append(s.markers, p.Marker)
	s.levels = append(s.levels, src.Level())
	s.sizes = append(s.sizes, len(p.Payload))
}

// sine20ms is 20 ms of a 1 kHz sine at peak amp, sampled at rate.
func sine20ms(rate int, amp float64, frame int) []int16 {
	n := rate / 50
	pcm := make([]int16, n)
	for i := range pcm {
		pcm[i] = int16(amp * 32767 * math.Sin(2*math.Pi*1000*float64(frame*n+i)/float64(rate)))
	}
	return pcm
}

// TestUpstreamOpusPassThrough: Opus from the trunk reaches the room
// unchanged, in order despite a swapped pair, with an RFC 6464 level from
// its decoded audio (−20 dBFS peak ≈ level 23, as browsers report it).
func TestUpstreamOpusPassThrough(t *testing.T) {
	up := sfu.NewUpTrack("audio", sfu.Audio, "audio/opus")
	sink := &upSink{}
	up.Subscribe(sink)
	c, _ := offeredCodec("opus")
	u, err := NewUpstream(up, c)
	must(t, err)
	enc, err := codec.NewOpusEncoder(48000, 1, codec.VoIP)
	must(t, err)
	var pkts []rtp.Packet
	for i := range 50 {
		out := make([]byte, codec.MaxOpusPayload)
		n, err := enc.Encode(sine20ms(48000, 0.1, i), out)
		must(t, err)
		pkts = append(pkts, rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: c.PayloadType, SSRC: 7,
			SequenceNumber: uint16(1000 + i), Timestamp: uint32(960 * i)}, Payload: out[:n]})
	}
	pkts[10], pkts[11] = pkts[11], pkts[10]
	for i := range pkts {
		u.Handle(&pkts[i])
	}
	if len(sink.seqs) != 50 {
		t.Fatalf("%d packets forwarded, want 50", len(sink.seqs))
	}
	for i := 1; i < len(sink.seqs); i++ {
		if sink.seqs[i] != sink.seqs[i-1]+1 {
			t.Fatalf("sequence not continuous at %d: %v", i, sink.seqs[i-1:i+1])
		}
	}
	if sink.sizes[11] != len(pkts[10].Payload) { // pkts[10] now holds the original 11th
		t.Errorf("payload of the 12th packet changed size: %d, want %d", sink.sizes[11], len(pkts[10].Payload))
	}
	if l := sink.levels[40]; l < 20 || l > 26 {
		t.Errorf("level of a -20 dBFS tone = %d, want ≈ 23", l)
	}
}

// TestUpstreamPassesSilentGapsOn: a G.711 phone with VAD sends nothing for
// 400 ms; the room sees the next packet 400 ms later in timestamps (48 kHz)
// with the marker bit, sequence numbers still contiguous.
func TestUpstreamPassesSilentGapsOn(t *testing.T) {
	up := sfu.NewUpTrack("audio", sfu.Audio, "audio/opus")
	sink := &upSink{}
	up.Subscribe(sink)
	c, _ := offeredCodec("pcmu")
	u, err := NewUpstream(up, c)
	must(t, err)
	enc := codec.NewPCMUEncoder()
	send := func(seq uint16, ts uint32) {
		out := make([]byte, 160)
		n, err := enc.Encode(sine20ms(8000, 0.1, int(seq)), out)
		must(t, err)
		u.Handle(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: c.PayloadType, SSRC: 7,
			SequenceNumber: seq, Timestamp: ts}, Payload: out[:n]})
	}
	send(1, 0)
	send(2, 160)
	send(3, 160+160+20*160) // 20 frames (400 ms) of silence suppressed
	send(4, 160+160+20*160+160)
	if len(sink.stamps) != 4 {
		t.Fatalf("%d packets forwarded, want 4", len(sink.stamps))
	}
	steps := []uint32{sink.stamps[1] - sink.stamps[0], sink.stamps[2] - sink.stamps[1], sink.stamps[3] - sink.stamps[2]}
	if steps[0] != 960 || steps[1] != 960+20*960 || steps[2] != 960 {
		t.Errorf("timestamp steps %v, want [960 %d 960]", steps, 960+20*960)
	}
	if sink.markers[1] || !sink.markers[2] || sink.markers[3] {
		t.Errorf("markers %v, want only the packet after the gap marked", sink.markers)
	}
	if sink.seqs[2] != sink.seqs[1]+1 {
		t.Errorf("sequence jumped over the gap: %v", sink.seqs)
	}
}

// BenchmarkUpstreamPCMU is a G.711 call's voice on its way to the room:
// decode 20 ms of PCMU, resample to 48 kHz, level, Opus encode, forward.
// Run with -tags 'libopus nolibopusfile' for the libopus build. The
// encoder keeps the library's default complexity: on this narrowband
// input complexity 0 measured slower than the default with the pure-Go
// Opus (≈145 against ≈97 µs per packet at 32 kbit/s) and no faster with
// libopus (≈84 against ≈90 µs), unlike the mixer's wideband mix.
func BenchmarkUpstreamPCMU(b *testing.B) {
	up := sfu.NewUpTrack("audio", sfu.Audio, "audio/opus")
	up.Subscribe(discardSink{})
	c, _ := offeredCodec("pcmu")
	u, err := NewUpstream(up, c)
	if err != nil {
		b.Fatal(err)
	}
	enc := codec.NewPCMUEncoder()
	payloads := make([][]byte, 50) // one second of speech-band tone
	for i := range payloads {
		payloads[i] = make([]byte, 160)
		if _, err := enc.Encode(sine20ms(8000, 0.3, i), payloads[i]); err != nil {
			b.Fatal(err)
		}
	}
	pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: c.PayloadType, SSRC: 7}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		pkt.SequenceNumber, pkt.Timestamp, pkt.Payload = uint16(i), uint32(160*i), payloads[i%len(payloads)]
		u.Handle(&pkt)
	}
}

// discardSink takes forwarded packets and keeps nothing.
type discardSink struct{}

func (discardSink) WriteRTP(*sfu.UpTrack, *rtp.Packet) {}
