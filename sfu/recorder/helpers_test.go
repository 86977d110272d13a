package recorder

import (
	"math"
	"testing"
	"time"

	"github.com/pion/rtp"
	"go.uber.org/goleak"

	"xphone/sfu/codec"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// tones encodes 20 ms frames of a sine (freq 0: silence) as the mixer would.
type toneSource struct {
	t     *testing.T
	enc   codec.Encoder
	phase float64
	buf   []byte
	pcm   []int16
}

func newToneSource(t *testing.T) *toneSource {
	t.Helper()
	enc, err := codec.NewOpusEncoder(codec.OpusSampleRate, 1, codec.VoIP)
	if err != nil {
		t.Fatal(err)
	}
	return &toneSource{t: t, enc: enc, buf: make([]byte, 1500), pcm: make([]int16, frameSamples)}
}

func (s *toneSource) frame(freq float64) []byte {
	for i := range s.pcm {
		s.pcm[i] = int16(8000 * math.Sin(s.phase))
		s.phase += 2 * math.Pi * freq / 48000
	}
	if freq == 0 {
		clear(s.pcm)
	}
	n, err := s.enc.Encode(s.pcm, s.buf)
	if err != nil {
		s.t.Fatal(err)
	}
	return append([]byte(nil), s.buf[:n]...)
}

// settle waits until the writer has taken every queued packet, so a test
// that feeds faster than real time loses none.
func settle(t *testing.T, r *Recording) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(r.free) < poolSize {
		if time.Now().After(deadline) {
			t.Fatal("the writer does not drain its queue")
		}
		time.Sleep(time.Millisecond)
	}
}

func audioPacket(seq uint16, ts uint32, payload []byte) *rtp.Packet {
	return &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: ts}, Payload: payload}
}

// decodeAll decodes every packet of a parsed file into one PCM stream.
func decodeAll(t *testing.T, o *OggOpus) []int16 {
	t.Helper()
	dec, err := codec.NewOpusDecoder(codec.OpusSampleRate, o.Channels)
	if err != nil {
		t.Fatal(err)
	}
	pcm := make([]int16, codec.MaxOpusFrameSamples(48000))
	var out []int16
	for i, p := range o.Packets {
		n, err := dec.Decode(p, pcm)
		if err != nil {
			t.Fatalf("packet %d does not decode: %v", i, err)
		}
		out = append(out, pcm[:n]...)
	}
	return out[min(o.PreSkip, len(out)):]
}
