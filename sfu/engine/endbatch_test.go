package engine

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// retainer keeps payload slices (no copy) from OnRTP and checks them at
// EndBatch, as a forwarder grouping by viewer relies on.
type retainer struct {
	mu      sync.Mutex
	held    []rtp.Packet
	batches []int // packets per EndBatch
	bad     []string
	total   int
}

func (r *retainer) OnRTP(p *rtp.Packet) {
	r.mu.Lock()
	r.held = append(r.held, rtp.Packet{Header: rtp.Header{SequenceNumber: p.SequenceNumber}, Payload: p.Payload})
	r.mu.Unlock()
}

func (r *retainer) OnRTCP([]byte) {}

func (r *retainer) EndBatch() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.held {
		if want := burstPayload(p.SequenceNumber); !bytes.Equal(p.Payload, want) {
			r.bad = append(r.bad, fmt.Sprintf("seq %d: %.20q", p.SequenceNumber, p.Payload))
		}
	}
	r.batches = append(r.batches, len(r.held))
	r.total += len(r.held)
	r.held = r.held[:0]
}

func (r *retainer) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.total
}

func burstPayload(seq uint16) []byte {
	return bytes.Repeat([]byte(fmt.Sprintf("%05d", seq)), 200)
}

// TestEndBatch: a BatchEnder handler hears EndBatch once per read batch it
// was called in, after its OnRTPs, and the payloads it kept without
// copying are intact until then.
func TestEndBatch(t *testing.T) {
	rx := newTestEngine(t)
	r := &retainer{}
	pub := publisher(t, rx, r)
	batch := pub.e.NewBatch(8)
	seq := uint16(0)
	for range 3 {
		for range 8 {
			seq++
			if err := batch.AddRTP(pub, &rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 7,
				SequenceNumber: seq}, Payload: burstPayload(seq)}); err != nil {
				t.Fatal(err)
			}
		}
		if err := batch.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 2*time.Second, "24 packets through EndBatch", func() bool { return r.count() == 24 })
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.bad) > 0 {
		t.Fatalf("payloads changed before EndBatch: %v", r.bad)
	}
	for _, n := range r.batches {
		if n == 0 {
			t.Fatalf("EndBatch without a packet in its batch: %v", r.batches)
		}
	}
	t.Logf("packets per read batch: %v", r.batches)
}
