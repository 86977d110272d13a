package sipmedia

import (
	"slices"
	"testing"

	"github.com/pion/rtp"
)

// jbRun pushes packets with the given sequence numbers (SSRC 1) and
// returns the sequence numbers given out, in order.
func jbRun(j *jitterBuffer, seqs ...uint16) []uint16 {
	var out []uint16
	p := rtp.Packet{Header: rtp.Header{SSRC: 1}, Payload: []byte{1, 2, 3}}
	for _, s := range seqs {
		p.SequenceNumber = s
		j.push(&p, func(q *rtp.Packet) { out = append(out, q.SequenceNumber) })
	}
	return out
}

func TestJitterBuffer(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []uint16
		want []uint16
		lost uint64
		late uint64
	}{
		{"in order", []uint16{10, 11, 12, 13}, []uint16{10, 11, 12, 13}, 0, 0},
		{"swap", []uint16{10, 12, 11, 13}, []uint16{10, 11, 12, 13}, 0, 0},
		{"three late", []uint16{10, 13, 12, 11, 14}, []uint16{10, 11, 12, 13, 14}, 0, 0},
		{"loss skipped after depth", []uint16{10, 12, 13, 14, 15, 16}, []uint16{10, 12, 13, 14, 15, 16}, 1, 0},
		{"late after skip dropped", []uint16{10, 12, 13, 14, 15, 11, 16}, []uint16{10, 12, 13, 14, 15, 16}, 1, 1},
		{"duplicate dropped", []uint16{10, 11, 11, 12}, []uint16{10, 11, 12}, 0, 1},
		{"wraparound", []uint16{65534, 0, 65535, 1}, []uint16{65534, 65535, 0, 1}, 0, 0},
		{"jump restarts", []uint16{10, 11, 5000, 5001}, []uint16{10, 11, 5000, 5001}, 0, 0},
		{"jump back restarts", []uint16{5000, 5001, 10, 11}, []uint16{5000, 5001, 10, 11}, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var j jitterBuffer
			got := jbRun(&j, tc.in...)
			if !slices.Equal(got, tc.want) || j.Lost != tc.lost || j.Late != tc.late {
				t.Errorf("out %v lost %d late %d, want %v lost %d late %d", got, j.Lost, j.Late, tc.want, tc.lost, tc.late)
			}
		})
	}
}

// TestJitterBufferNewSSRC: a new SSRC mid-call (pitfall 4) flushes what
// was held and starts over at the new stream's numbers.
func TestJitterBufferNewSSRC(t *testing.T) {
	var j jitterBuffer
	var out []uint32
	p := rtp.Packet{Header: rtp.Header{SSRC: 1, SequenceNumber: 1}}
	f := func(q *rtp.Packet) { out = append(out, q.SSRC<<16|uint32(q.SequenceNumber)) }
	j.push(&p, f)
	p.SequenceNumber = 3
	j.push(&p, f) // held, waiting for 2
	p.SSRC, p.SequenceNumber = 2, 100
	j.push(&p, f)
	want := []uint32{1<<16 | 1, 1<<16 | 3, 2<<16 | 100}
	if !slices.Equal(out, want) {
		t.Errorf("out %x, want %x", out, want)
	}
}

// TestJitterBufferNoAllocs: the receive path must not allocate per packet.
func TestJitterBufferNoAllocs(t *testing.T) {
	var j jitterBuffer
	p := rtp.Packet{Header: rtp.Header{SSRC: 1}, Payload: make([]byte, 160)}
	order := []uint16{0, 2, 1, 3, 5, 4, 6, 7}
	var base uint16
	sink := func(*rtp.Packet) {}
	allocs := testing.AllocsPerRun(1000, func() {
		for _, o := range order {
			p.SequenceNumber = base + o
			j.push(&p, sink)
		}
		base += uint16(len(order))
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per 8 packets, want 0", allocs)
	}
}

// BenchmarkJitterBuffer: one 160-byte packet per op, every fourth pair
// swapped.
func BenchmarkJitterBuffer(b *testing.B) {
	var j jitterBuffer
	p := rtp.Packet{Header: rtp.Header{SSRC: 1}, Payload: make([]byte, 160)}
	sink := func(*rtp.Packet) {}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s := uint16(i)
		if i%8 == 2 {
			s++
		} else if i%8 == 3 {
			s--
		}
		p.SequenceNumber = s
		j.push(&p, sink)
	}
}
