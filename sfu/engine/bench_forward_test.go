package engine

import (
	"fmt"
	"net/netip"
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
	rx := newTestEngine(b)
	f := &forwarder{reach: make(chan struct{}, 1), batch: rx.NewBatch(viewers)}
	for range viewers {
		v, _ := addFakePeer(b, rx, &countHandler{}, false)
		f.viewers = append(f.viewers, v)
	}
	runForward(b, publisher(b, rx, f), f, viewers, 16)
}

// runForward has pub send b.N packets in bursts and waits after each
// burst until f has forwarded it to its viewers.
func runForward(b *testing.B, pub *Peer, f *forwarder, viewers, burst int) {
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
			b.Fatalf("forwarded %d of %d", f.n.Load(), sent)
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
func publisher(b testing.TB, rx *Engine, h Handler) *Peer {
	tx := newTestEngine(b)
	in, c := addFakePeer(b, rx, h, true)
	_ = c.conn.Close()
	out, err := tx.AddPeer(PeerConfig{RemoteFingerprint: testFP, Handler: &countHandler{}})
	if err != nil {
		b.Fatal(err)
	}
	to := rx.LocalAddr()
	if to.Addr().IsUnspecified() {
		to = loopback(to.Port())
	}
	tx.bind(out, out.creds.Load(), to, localAddr{}, true)
	out.keys.Store(&cryptoState{local: mustContext(b, keyC2E, saltC2E)})
	rx.bind(in, in.creds.Load(), tx.LocalAddr(), localAddr{}, true)
	return out
}

// groupingForwarder keeps the packets of one read batch (headers copied,
// payloads left in the read buffers) and at EndBatch seals them viewer by
// viewer, so each viewer's run goes as one UDP GSO message.
type groupingForwarder struct {
	forwarder
	pending []rtp.Packet
}

func (f *groupingForwarder) OnRTP(p *rtp.Packet) {
	// The header's slices are reused per packet; these packets have none.
	f.pending = append(f.pending, rtp.Packet{Header: p.Header, Payload: p.Payload})
}

func (f *groupingForwarder) EndBatch() {
	for _, v := range f.viewers {
		for i := range f.pending {
			if err := f.batch.AddRTP(v, &f.pending[i]); err != nil {
				f.fail(err)
			}
		}
	}
	if err := f.batch.Flush(); err != nil {
		f.fail(err)
	}
	if f.n.Add(int64(len(f.pending))) == f.target.Load() {
		f.reach <- struct{}{}
	}
	f.pending = f.pending[:0]
}

// BenchmarkForwardGrouped is BenchmarkForward with the forwarding done at
// the end of each read batch, grouped by viewer (BatchEnder): the packets
// of a burst that one recvmmsg returns reach each viewer as one GSO
// message. Bursts of 16 are generous: a browser paces its packets, so a
// batch holds what arrived while the loop was busy; bursts of 2 are the
// quiet case.
func BenchmarkForwardGrouped(b *testing.B) {
	for _, c := range []struct{ n, burst int }{{10, 16}, {50, 16}, {10, 2}, {50, 2}} {
		n := c.n
		b.Run(fmt.Sprintf("N=%d/burst=%d", n, c.burst), func(b *testing.B) {
			rx := newTestEngine(b)
			f := &groupingForwarder{forwarder: forwarder{reach: make(chan struct{}, 1),
				batch: rx.NewBatch(n * 16)}, pending: make([]rtp.Packet, 0, defaultBatch)}
			for range n {
				v, _ := addFakePeer(b, rx, &countHandler{}, false)
				f.viewers = append(f.viewers, v)
			}
			runForward(b, publisher(b, rx, f), &f.forwarder, n, c.burst)
		})
	}
}

// endBatchForwarder fans each packet out as it arrives, packet by packet
// as sfu.UpTrack.Forward does, into one batch that it sends at EndBatch:
// Flush groups each viewer's packets (gso_linux.go), so the packets of a
// frame that one recvmmsg returned reach a viewer as one GSO message.
type endBatchForwarder struct{ forwarder }

func (f *endBatchForwarder) OnRTP(p *rtp.Packet) {
	for _, v := range f.viewers {
		if err := f.batch.AddRTP(v, p); err != nil {
			f.fail(err)
		}
	}
	f.n.Add(1)
}

func (f *endBatchForwarder) EndBatch() {
	if err := f.batch.Flush(); err != nil {
		f.fail(err)
	}
	if f.n.Load() == f.target.Load() {
		select {
		case f.reach <- struct{}{}:
		default:
		}
	}
}

// BenchmarkForwardFrames is the wired path's shape: bursts of 6 packets (a
// 1.5 Mbit/s camera's frame at 30 fps) fanned out packet by packet and sent
// at the end of each read batch, grouped by viewer in Flush (batch of 512,
// as sfu's read batch). Compare BenchmarkForward (a sendmmsg per packet,
// one datagram per viewer each).
func BenchmarkForwardFrames(b *testing.B) {
	for _, n := range []int{10, 50} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) { forwardFrames(b, newTestEngine(b), n) })
	}
}

func forwardFrames(b *testing.B, rx *Engine, n int) {
	f := &endBatchForwarder{forwarder{reach: make(chan struct{}, 1), batch: rx.NewBatch(512)}}
	for range n {
		v, _ := addFakePeer(b, rx, &countHandler{}, false)
		f.viewers = append(f.viewers, v)
	}
	runForward(b, publisher(b, rx, f), &f.forwarder, n, 6)
}

// BenchmarkForwardFramesAnyAddr is BenchmarkForwardFrames on an engine
// bound to 0.0.0.0, as a server is: "pktinfo" sends every GSO message
// from the address its viewer reached (IP_PKTINFO with UDP_SEGMENT);
// "routing" turns IP_PKTINFO off before the viewers bind, so the kernel
// picks the source (the engine before replies followed their packets).
func BenchmarkForwardFramesAnyAddr(b *testing.B) {
	for _, pktinfo := range []bool{true, false} {
		name := map[bool]string{true: "pktinfo", false: "routing"}[pktinfo]
		for _, n := range []int{10, 50} {
			b.Run(fmt.Sprintf("%s/N=%d", name, n), func(b *testing.B) {
				rx, err := New(Config{Listen: "0.0.0.0:0", PublicAddrs: []netip.Addr{netip.MustParseAddr("127.0.0.1")}})
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { _ = rx.Close() })
				rc, _ := rx.conn.SyscallConn()
				if err := setPktinfo(rc, rx.v4, pktinfo); err != nil {
					b.Fatal(err)
				}
				forwardFrames(b, rx, n)
			})
		}
	}
}
