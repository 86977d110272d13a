package sipmedia

import (
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/pion/transport/v5/deadline"
)

// dtlsPackets is the DTLS side of a media socket (RFC 7983 demux): the
// read loop hands it packets whose first byte is 20–63; writes go to the
// peer's latched address. It gives pion/dtls a net.PacketConn with
// working read deadlines, which its context handling relies on.
type dtlsPackets struct {
	m      *sockMedia
	in     chan []byte
	rd     *deadline.Deadline
	once   sync.Once
	closed chan struct{}
}

func newDTLSPackets(m *sockMedia) *dtlsPackets {
	return &dtlsPackets{m: m, in: make(chan []byte, 16), rd: deadline.New(), closed: make(chan struct{})}
}

// offer queues a copy of a DTLS record without blocking the read loop
// (the handshake retransmits what is dropped).
func (d *dtlsPackets) offer(b []byte) {
	select {
	case d.in <- append([]byte(nil), b...):
	default:
	}
}

// ReadFrom returns the next DTLS packet.
func (d *dtlsPackets) ReadFrom(p []byte) (int, net.Addr, error) {
	select {
	case b := <-d.in:
		return copy(p, b), d.remoteAddr(), nil
	case <-d.rd.Done():
		return 0, nil, os.ErrDeadlineExceeded
	case <-d.closed:
		return 0, nil, net.ErrClosed
	}
}

// WriteTo sends to the peer's current address, whatever addr says.
func (d *dtlsPackets) WriteTo(p []byte, _ net.Addr) (int, error) {
	select {
	case <-d.closed:
		return 0, net.ErrClosed
	default:
	}
	return d.m.writeRaw(p)
}

func (d *dtlsPackets) remoteAddr() net.Addr {
	if a := d.m.remote.Load(); a != nil {
		return net.UDPAddrFromAddrPort(*a)
	}
	return &net.UDPAddr{}
}

// Close stops reads; the media socket stays open.
func (d *dtlsPackets) Close() error {
	d.once.Do(func() { close(d.closed) })
	return nil
}

func (d *dtlsPackets) LocalAddr() net.Addr { return d.m.conn.LocalAddr() }

func (d *dtlsPackets) SetDeadline(t time.Time) error { d.rd.Set(t); return nil }

func (d *dtlsPackets) SetReadDeadline(t time.Time) error { d.rd.Set(t); return nil }

func (d *dtlsPackets) SetWriteDeadline(time.Time) error { return nil }

// isDTLS and isRTP classify a datagram by its first byte (RFC 7983).
func isDTLS(b []byte) bool { return len(b) > 0 && b[0] >= 20 && b[0] <= 63 }

func isRTP(b []byte) bool { return len(b) >= 12 && b[0]>>6 == 2 }

// isRTCP tells RTCP from RTP on a muxed port (RFC 5761 §4).
func isRTCP(b []byte) bool { pt := b[1] & 0x7f; return pt >= 64 && pt <= 95 }

// sameAddr reports whether a equals the latched address (nil: none yet).
func sameAddr(cur *netip.AddrPort, a netip.AddrPort) bool { return cur != nil && *cur == a }
