package sipmedia

import (
	"context"
	"strconv"
	"testing"

	"github.com/pion/rtp"

	"xphone/sfu/codec"
)

// recordingMedia is a Session that records what the Downstream writes.
type recordingMedia struct {
	Session
	codec Codec
	ops   []string // "write N" or "skip N", in order
}

func (r *recordingMedia) Codec() Codec { return r.codec }
func (r *recordingMedia) WriteAudio(_ []byte, samples uint32) error {
	r.ops = append(r.ops, "write "+strconv.Itoa(int(samples)))
	return nil
}
func (r *recordingMedia) SkipAudio(samples uint32) {
	r.ops = append(r.ops, "skip "+strconv.Itoa(int(samples)))
}
func (r *recordingMedia) Offer(context.Context) (string, error) { return "", nil }

// TestDownstreamPassesSilentGapsOn: after 380 ms without packets (Opus DTX
// from a silent browser) the trunk's timestamp moves on by 380 ms before
// the next packet, on G.711 (8 kHz) and Opus (48 kHz) trunks alike; packets
// in sequence, or going back in time, skip nothing.
func TestDownstreamPassesSilentGapsOn(t *testing.T) {
	enc, err := codec.NewOpusEncoder(codec.OpusSampleRate, 1, codec.VoIP)
	if err != nil {
		t.Fatal(err)
	}
	pcm := make([]int16, 960)
	buf := make([]byte, 1500)
	n, err := enc.Encode(pcm, buf)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		codec Codec
		want  []string
	}{
		{knownCodecs["pcmu"], []string{"write 160", "write 160", "skip 3040", "write 160", "write 160"}},
		{knownCodecs["opus"], []string{"write 960", "write 960", "skip 18240", "write 960", "write 960"}},
	} {
		m := &recordingMedia{codec: c.codec}
		d, err := NewDownstream(m, c.codec)
		if err != nil {
			t.Fatal(err)
		}
		for _, ts := range []uint32{1000, 1960, 1960 + 20*960, 1960 + 20*960 - 960} {
			if err := d.WriteRTP(&rtp.Packet{Header: rtp.Header{Timestamp: ts}, Payload: buf[:n]}); err != nil {
				t.Fatal(err)
			}
		}
		if got := m.ops; len(got) != len(c.want) || !equalStrings(got, c.want) {
			t.Errorf("%s: %v, want %v", c.codec.Name, got, c.want)
		}
	}
}

func equalStrings(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}
