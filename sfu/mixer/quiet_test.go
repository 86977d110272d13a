package mixer

import (
	"bytes"
	"testing"

	"github.com/pion/rtp"
)

// countingEncoder numbers its output, so a packet sent twice shows.
type countingEncoder struct{ n int }

func (e *countingEncoder) Encode(_ []int16, out []byte) (int, error) {
	e.n++
	out[0], out[1] = 0x78, byte(e.n)
	return 2, nil
}

// An idle stream still sends a keep-alive every dtxEvery frames, but after
// the encoder settled on silence it resends that encoding instead of
// encoding silence again; sound starts the encoder again at once, and the
// next silent stretch settles anew.
func TestIdleKeepAlivesReuseTheSettledEncoding(t *testing.T) {
	for _, group := range []int{1, 3} {
		enc := &countingEncoder{}
		out := &payloads{}
		s := newStream(out, enc, 111)
		s.setGroup(group)
		silence, sound := make([]int16, frame), []int16{0, 300, -300, 0}
		ts := uint32(0)
		write := func(pcm []int16, frames int) {
			for range frames {
				ts += frame
				if _, err := s.write(pcm, ts, frame, true); err != nil {
					t.Fatal(err)
				}
			}
		}
		write(silence, 6*dtxEvery)
		if len(out.got) != 6 || enc.n != quietSettle {
			t.Fatalf("group %d: %d keep-alives and %d encodes in %d silent frames, want 6 and %d",
				group, len(out.got), enc.n, 6*dtxEvery, quietSettle)
		}
		for _, p := range out.got[quietSettle:] {
			if !bytes.Equal(p, out.got[quietSettle-1]) {
				t.Fatalf("group %d: keep-alive %x, want the settled %x", group, p, out.got[quietSettle-1])
			}
		}
		write(sound, group)
		if enc.n != quietSettle+group {
			t.Fatalf("group %d: %d encodes after sound, want every sound frame encoded", group, enc.n)
		}
		before := enc.n
		write(silence, 4*dtxEvery)
		if enc.n-before != quietSettle {
			t.Fatalf("group %d: %d encodes in the next silent stretch, want %d", group, enc.n-before, quietSettle)
		}
	}
}

// payloads keeps a copy of every payload forwarded.
type payloads struct{ got [][]byte }

func (p *payloads) Forward(pkt *rtp.Packet) { p.got = append(p.got, bytes.Clone(pkt.Payload)) }
