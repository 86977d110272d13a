package engine

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// forwarder is a Handler that fans each received packet out to viewers
// through its own Batch, in the read goroutine, as the wired forwarding
// path will (UpTrack.Forward's own work, ≈ 50 ns, is not included).
type forwarder struct {
	viewers []*Peer
	batch   *Batch
	n       atomic.Int64
	target  atomic.Int64
	reach   chan struct{}
	err     atomic.Pointer[error]
}

func (f *forwarder) OnRTP(p *rtp.Packet) {
	for _, v := range f.viewers {
		if err := f.batch.AddRTP(v, p); err != nil {
			f.fail(err)
		}
	}
	if err := f.batch.Flush(); err != nil {
		f.fail(err)
	}
	if f.n.Add(1) == f.target.Load() {
		f.reach <- struct{}{}
	}
}

func (f *forwarder) OnRTCP([]byte) {}

// fail keeps the first error; its own function so that err escapes only
// when there is one.
func (f *forwarder) fail(err error) { f.err.CompareAndSwap(nil, &err) }

// BenchmarkForward is the forwarded video packet end to end: a publisher
// (a second engine) sends bursts of 16 packets; the engine under test
// reads them (recvmmsg), decrypts, and its handler seals the packet for
// each of N viewers and sends them with one sendmmsg. cpu-ns/pkt is the
// process's CPU time per delivered packet, and includes the publisher's
// own sending (≈ 4 µs per source packet, i.e. 4/N µs per delivered one).
func BenchmarkForward(b *testing.B) {
	for _, n := range []int{10, 50} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) { benchForward(b, n) })
	}
}

func benchForward(b *testing.B, viewers int) {
	const burst = 16
	rx := newTestEngine(b)
	f := &forwarder{reach: make(chan struct{}, 1), batch: rx.NewBatch(viewers)}
	for range viewers {
		v, _ := addFakePeer(b, rx, &countHandler{}, false)
		f.viewers = append(f.viewers, v)
	}
	pub := publisher(b, rx, f)
	batch := pub.e.NewBatch(burst)
	timeout := time.NewTimer(time.Hour)
	defer timeout.Stop()
	pkt := videoPacket(0)
	b.ReportAllocs()
	cpu0, start := cpuTime(), time.Now()
	b.ResetTimer()
	for sent := 0; sent < b.N; {
		k := min(burst, b.N-sent)
		f.target.Store(int64(sent + k))
		for range k {
			pkt.SequenceNumber++
			if err := batch.AddRTP(pub, pkt); err != nil {
				b.Fatal(err)
			}
		}
		if err := batch.Flush(); err != nil {
			b.Fatal(err)
		}
		sent += k
		timeout.Reset(2 * time.Second)
		select {
		case <-f.reach:
		case <-timeout.C:
			b.Fatalf("forwarded %d of %d (stats %+v)", f.n.Load(), sent, rx.Stats())
		}
	}
	b.StopTimer()
	if p := f.err.Load(); p != nil {
		b.Fatal(*p)
	}
	delivered := float64(b.N * viewers)
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/delivered, "ns/pkt")
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/delivered, "cpu-ns/pkt")
}

// publisher returns a peer of a second engine that sends to rx as a
// fake peer of rx whose handler is h (white box, as in
// BenchmarkReceiveSocket).
func publisher(b *testing.B, rx *Engine, h Handler) *Peer {
	tx := newTestEngine(b)
	in, c := addFakePeer(b, rx, h, true)
	_ = c.conn.Close()
	out, err := tx.AddPeer(PeerConfig{RemoteFingerprint: testFP, Handler: &countHandler{}})
	if err != nil {
		b.Fatal(err)
	}
	tx.bind(out, out.creds.Load(), rx.LocalAddr(), true)
	out.keys.Store(&cryptoState{local: mustContext(b, keyC2E, saltC2E)})
	rx.bind(in, in.creds.Load(), tx.LocalAddr(), true)
	return out
}
