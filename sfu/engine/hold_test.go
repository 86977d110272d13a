package engine

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// holdingForwarder forwards every packet to one viewer through a batch it
// sends at EndBatch, except while a "frame" is open: a packet whose
// payload is "open" holds the batch (BatchHolder), "close" ends it.
type holdingForwarder struct {
	viewer  *Peer
	batch   *Batch
	open    bool
	flushes atomic.Int32 // FlushHeld calls
}

func (f *holdingForwarder) OnRTP(p *rtp.Packet) {
	_ = f.batch.AddRTP(f.viewer, p)
	f.open = string(p.Payload) == "open"
}

func (f *holdingForwarder) OnRTCP([]byte) {}

func (f *holdingForwarder) EndBatch() {
	if !f.open {
		_ = f.batch.Flush()
	}
}

func (f *holdingForwarder) Held() bool { return f.open && f.batch.Len() > 0 }

func (f *holdingForwarder) FlushHeld() {
	f.flushes.Add(1)
	_ = f.batch.Flush()
	f.open = false
}

// TestHeldBatchGoesAfterHoldMax: a batch held for a frame whose last
// packet never comes is sent once HoldMax passed, and the read loop then
// waits for datagrams as before (no more expiries without a hold).
func TestHeldBatchGoesAfterHoldMax(t *testing.T) {
	e := newTestEngine(t)
	viewer, vc := addFakePeer(t, e, newRecorder(), false)
	f := &holdingForwarder{viewer: viewer, batch: e.NewBatch(8)}
	e.SetHolder(f)
	_, pub := addFakePeer(t, e, f, false)

	start := time.Now()
	pub.sendRTP(t, 1, "open")
	if got := vc.readRTP(t); string(got.Payload) != "open" {
		t.Fatalf("viewer got %q", got.Payload)
	}
	if waited := time.Since(start); waited < HoldMax {
		t.Fatalf("held packet arrived after %s, before HoldMax", waited)
	}
	pub.sendRTP(t, 2, "close")
	if got := vc.readRTP(t); string(got.Payload) != "close" {
		t.Fatalf("viewer got %q", got.Payload)
	}
	time.Sleep(5 * HoldMax) // an armed deadline would expire again meanwhile
	if n := f.flushes.Load(); n != 1 {
		t.Fatalf("FlushHeld called %d times, want 1", n)
	}
}
