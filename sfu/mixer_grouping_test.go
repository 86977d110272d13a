package sfu

import (
	"math"
	"testing"

	"github.com/pion/rtp"

	"xphone/sfu/codec"
	"xphone/sfu/mixer"
	"xphone/sfu/sfutest"
)

// packetLog keeps copies of the packets a stream forwards.
type packetLog struct{ pkts []rtp.Packet }

func (l *packetLog) Forward(p *rtp.Packet) {
	c := *p
	c.Payload = append([]byte(nil), p.Payload...)
	l.pkts = append(l.pkts, c)
}

// TestSharedMixInFortyMsPackets: with SharedFrames 2 the listeners' mix goes
// out as one real Opus packet per 40 ms (two frames, RFC 6716 code 3) that
// the build's decoder plays as 40 ms of the talker's tone, on contiguous
// sequence numbers with timestamps 1920 apart.
func TestSharedMixInFortyMsPackets(t *testing.T) {
	shared := &packetLog{}
	m, err := mixer.New(mixer.Config{TopK: 3, Threshold: 50, HoldTicks: 30, PT: 111, SharedFrames: 2},
		OpusCodecs{Complexity: 5, Bitrate: 32000}, shared)
	if err != nil {
		t.Fatal(err)
	}
	talker := mixer.NewParticipant("t", nopForward{}, func(bool) {})
	m.Add(talker)
	enc, err := codec.NewOpusEncoder(codec.OpusSampleRate, 1, codec.VoIP)
	if err != nil {
		t.Fatal(err)
	}
	pcm, buf := make([]int16, 960), make([]byte, 1500)
	for tick := range 60 {
		for i := range pcm {
			pcm[i] = int16(8000 * math.Sin(2*math.Pi*440*float64(tick*960+i)/48000))
		}
		n, err := enc.Encode(pcm, buf)
		if err != nil {
			t.Fatal(err)
		}
		talker.Push(uint16(tick+1), append([]byte(nil), buf[:n]...), 10)
		m.Tick()
	}
	if len(shared.pkts) < 25 || len(shared.pkts) > 31 {
		t.Fatalf("%d shared packets in 60 ticks, want about 30 (one per 40 ms)", len(shared.pkts))
	}
	dec, err := codec.NewOpusDecoder(codec.OpusSampleRate, 1)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int16, codec.MaxOpusFrameSamples(codec.OpusSampleRate))
	var heard []int16
	for i, p := range shared.pkts {
		if i > 0 && (p.SequenceNumber != shared.pkts[i-1].SequenceNumber+1 || p.Timestamp-shared.pkts[i-1].Timestamp != 1920) {
			t.Fatalf("packet %d: seq %d ts %d after seq %d ts %d", i, p.SequenceNumber, p.Timestamp,
				shared.pkts[i-1].SequenceNumber, shared.pkts[i-1].Timestamp)
		}
		n, err := dec.Decode(p.Payload, out)
		if err != nil || n != 1920 {
			t.Fatalf("packet %d decodes to %d samples (%v), want 1920", i, n, err)
		}
		heard = append(heard, out[:n]...)
	}
	if db := sfutest.ToneDB(heard[len(heard)/2:], 440); db < -20 {
		t.Errorf("listeners hear the talker's 440 Hz at %.1f dB, want ≥ -20", db)
	}
}
