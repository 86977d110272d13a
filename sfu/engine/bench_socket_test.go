package engine

import (
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// signalHandler counts packets and signals when a target is reached, so
// the sender waits on a channel rather than spinning.
type signalHandler struct {
	n      atomic.Int64
	target atomic.Int64
	reach  chan struct{}
}

func (h *signalHandler) OnRTP(*rtp.Packet) {
	if h.n.Add(1) == h.target.Load() {
		h.reach <- struct{}{}
	}
}
func (h *signalHandler) OnRTCP([]byte) {}

// BenchmarkReceiveSocket is the whole receive path through the kernel: a
// second engine sends bursts of 64 video packets (two sendmmsg calls) to
// the engine under test, whose read loop takes them with recvmmsg,
// decrypts them and calls the handler. cpu-ns/pkt is the process's CPU
// time (both engines, user + system) per packet delivered to the handler;
// ns/pkt the wall time.
func BenchmarkReceiveSocket(b *testing.B) {
	const burst = 64
	rx := newTestEngine(b)
	h := &signalHandler{reach: make(chan struct{}, 1)}
	_, c := addFakePeer(b, rx, h, true)
	tx := newTestEngine(b)
	out, err := tx.AddPeer(PeerConfig{RemoteFingerprint: testFP, Handler: h})
	if err != nil {
		b.Fatal(err)
	}
	// Point tx's peer at rx with the keys rx expects (white box: both ends
	// are engines, and engines only answer ICE checks).
	srcAddr := clientAddr(c.conn)
	_ = c.conn.Close() // rx's peer is rebound to tx's socket below
	tx.bind(out, out.creds.Load(), rx.LocalAddr(), localAddr{addr: tx.LocalAddr().Addr()}, true)
	out.keys.Store(&cryptoState{local: mustContext(b, keyC2E, saltC2E)})
	rxPeer := rx.peerAt(srcAddr)
	rx.bind(rxPeer, rxPeer.creds.Load(), tx.LocalAddr(), localAddr{addr: rx.LocalAddr().Addr()}, true)

	batch := tx.NewBatch(32)
	timeout := time.NewTimer(time.Hour)
	defer timeout.Stop()
	pkt := videoPacket(0)
	b.ReportAllocs()
	cpu0 := cpuTime()
	start := time.Now()
	b.ResetTimer()
	for sent := 0; sent < b.N; {
		n := min(burst, b.N-sent)
		h.target.Store(int64(sent + n))
		for range n {
			pkt.SequenceNumber++
			if err := batch.AddRTP(out, pkt); err != nil {
				b.Fatal(err)
			}
		}
		if err := batch.Flush(); err != nil {
			b.Fatal(err)
		}
		sent += n
		timeout.Reset(2 * time.Second)
		select {
		case <-h.reach:
		case <-timeout.C:
			b.Fatalf("handler saw %d of %d (stats %+v)", h.n.Load(), sent, rx.Stats())
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N), "ns/pkt")
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/pkt")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
