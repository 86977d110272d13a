package engine

import (
	"fmt"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// countHandler counts what it is handed, allocation-free.
type countHandler struct{ rtp, rtcp, bytes int }

func (h *countHandler) OnRTP(p *rtp.Packet) { h.rtp++; h.bytes += len(p.Payload) }
func (h *countHandler) OnRTCP(b []byte)     { h.rtcp++; h.bytes += len(b) }

// videoPacket is a typical forwarded VP8 packet: 1,100 bytes of payload.
func videoPacket(seq uint16) *rtp.Packet {
	return &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq,
		Timestamp: 90000, SSRC: 0x5eed}, Payload: make([]byte, 1100)}
}

// BenchmarkReceive is the read loop's per-packet work after recvmmsg:
// address lookup, demux, SRTP (AES-GCM) decrypt in place, unmarshal and
// the handler call. The ciphertext is copied back into the slot each time
// (a 1.1 kB copy included in the figure) and replay protection is off so
// one packet can be decrypted again and again.
func BenchmarkReceive(b *testing.B) {
	e := newTestEngine(b)
	h := &countHandler{}
	_, c := addFakePeer(b, e, h, false)
	raw, err := videoPacket(1).Marshal()
	if err != nil {
		b.Fatal(err)
	}
	enc, err := c.encrypt.EncryptRTP(nil, raw, nil)
	if err != nil {
		b.Fatal(err)
	}
	l := newLoop(e)
	sa := newSockaddr(e.v4, clientAddr(c.conn))
	l.m.inject(0, &sa, len(enc))
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		copy(l.m.bufs[0], enc)
		l.handle(0)
	}
	b.StopTimer()
	if h.rtp != b.N {
		b.Fatalf("handler saw %d of %d packets (stats %+v)", h.rtp, b.N, e.Stats())
	}
}

// BenchmarkEgress sends one video packet to N peers on loopback, as the
// forwarder of one received packet does: marshal + AES-GCM encrypt per
// viewer, then one sendmmsg ("batch"), against Peer.WriteRTP per viewer,
// i.e. the same sealing and one WriteTo each on the same socket
// ("writeto"). ns/pkt is per datagram sent.
func BenchmarkEgress(b *testing.B) {
	for _, n := range []int{10, 50} {
		e := newTestEngine(b)
		peers := make([]*Peer, n)
		for i := range peers {
			peers[i], _ = addFakePeer(b, e, &countHandler{}, false)
		}
		pkt := videoPacket(0)
		b.Run(fmt.Sprintf("batch/N=%d", n), func(b *testing.B) {
			batch := e.NewBatch(n)
			egress(b, e, n, func() {
				for _, p := range peers {
					if err := batch.AddRTP(p, pkt); err != nil {
						b.Fatal(err)
					}
				}
				if err := batch.Flush(); err != nil {
					b.Fatal(err)
				}
			}, pkt)
		})
		b.Run(fmt.Sprintf("writeto/N=%d", n), func(b *testing.B) {
			egress(b, e, n, func() {
				for _, p := range peers {
					if err := p.WriteRTP(pkt); err != nil {
						b.Fatal(err)
					}
				}
			}, pkt)
		})
	}
}

func egress(b *testing.B, e *Engine, n int, send func(), pkt *rtp.Packet) {
	sent := e.Stats().Sent
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		pkt.SequenceNumber++
		send()
	}
	el := time.Since(start)
	b.StopTimer()
	if got := e.Stats().Sent - sent; got != uint64(b.N*n) {
		b.Fatalf("sent %d datagrams, want %d", got, b.N*n)
	}
	b.ReportMetric(float64(el.Nanoseconds())/float64(b.N*n), "ns/pkt")
}

// BenchmarkSeal is the user-space part of egress per packet: marshal and
// AES-GCM encrypt into a batch slot, without the system call. The rest of
// BenchmarkEgress's ns/pkt is the kernel's.
func BenchmarkSeal(b *testing.B) {
	e := newTestEngine(b)
	p, _ := addFakePeer(b, e, &countHandler{}, false)
	batch := e.NewBatch(64)
	pkt := videoPacket(0)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		pkt.SequenceNumber++
		if err := batch.AddRTP(p, pkt); err != nil {
			b.Fatal(err)
		}
		if batch.n == len(batch.m.bufs) {
			batch.n = 0 // discard: this measures sealing only
		}
	}
}

// BenchmarkEgressFrame sends one 8-packet video frame to each of 10
// viewers, viewer by viewer, in one Flush: UDP GSO sends each viewer's
// frame as one message ("gso"), against one datagram each in the same
// sendmmsg calls ("nogso"). This is what forwarding per received batch,
// grouped by viewer, would gain. ns/pkt is per datagram sent.
func BenchmarkEgressFrame(b *testing.B) {
	const viewers, frame = 10, 8
	for _, disable := range []bool{false, true} {
		name := "gso"
		if disable {
			name = "nogso"
		}
		b.Run(name, func(b *testing.B) {
			e, err := New(Config{Listen: "127.0.0.1:0", DisableGSO: disable})
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close()
			peers := make([]*Peer, viewers)
			for i := range peers {
				peers[i], _ = addFakePeer(b, e, &countHandler{}, false)
			}
			batch := e.NewBatch(viewers * frame)
			pkt := videoPacket(0)
			egress(b, e, viewers*frame, func() {
				for _, p := range peers {
					for range frame {
						pkt.SequenceNumber++
						if err := batch.AddRTP(p, pkt); err != nil {
							b.Fatal(err)
						}
					}
				}
				if err := batch.Flush(); err != nil {
					b.Fatal(err)
				}
			}, pkt)
			if !disable && e.noGSO.Load() {
				b.Fatal("the kernel refused UDP GSO")
			}
		})
	}
}
