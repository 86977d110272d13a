package engine

import (
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/transport/v5/deadline"
)

// dtlsQueue bounds the DTLS records waiting for the handshake goroutine; a
// handshake flight is a handful of records.
const dtlsQueue = 16

// dtlsConn is the net.PacketConn pion/dtls handshakes over: the read loop
// feeds it the peer's DTLS records (a copy each: this is not the media
// path), and writes go straight to the peer's bound address.
type dtlsConn struct {
	p      *Peer
	in     chan []byte
	closed chan struct{}
	once   sync.Once
	quiet  atomic.Bool // drop writes: the DTLS state is being discarded
	rd     *deadline.Deadline
}

func newDTLSConn(p *Peer) *dtlsConn {
	return &dtlsConn{p: p, in: make(chan []byte, dtlsQueue),
		closed: make(chan struct{}), rd: deadline.New()}
}

// deliver queues a record from the read loop without blocking.
func (c *dtlsConn) deliver(b []byte) bool {
	select {
	case <-c.closed:
		return false
	default:
	}
	select {
	case c.in <- append([]byte(nil), b...):
		return true
	default:
		return false
	}
}

// ReadFrom implements net.PacketConn.
func (c *dtlsConn) ReadFrom(b []byte) (int, net.Addr, error) {
	select {
	case r := <-c.in:
		return copy(b, r), c.remote(), nil
	case <-c.closed:
		return 0, nil, net.ErrClosed
	case <-c.rd.Done():
		return 0, nil, os.ErrDeadlineExceeded
	}
}

// WriteTo implements net.PacketConn; the address is always the peer's
// currently bound one, so a nominated switch moves DTLS too.
func (c *dtlsConn) WriteTo(b []byte, _ net.Addr) (int, error) {
	select {
	case <-c.closed:
		return 0, net.ErrClosed
	default:
	}
	a := c.p.addr.Load()
	if c.quiet.Load() || a == nil {
		return len(b), nil
	}
	n, _, err := c.p.e.conn.WriteMsgUDPAddrPort(b, a.sa.oob(), a.ap)
	if err == nil {
		c.p.e.ctr.sent.Add(1)
	}
	return n, err
}

func (c *dtlsConn) remote() net.Addr {
	if a := c.p.addr.Load(); a != nil {
		return net.UDPAddrFromAddrPort(a.ap)
	}
	return nil
}

func (c *dtlsConn) close() { c.once.Do(func() { close(c.closed) }) }

// Close implements net.PacketConn.
func (c *dtlsConn) Close() error { c.close(); return nil }

// LocalAddr implements net.PacketConn.
func (c *dtlsConn) LocalAddr() net.Addr { return net.UDPAddrFromAddrPort(c.p.e.local) }

// SetDeadline implements net.PacketConn (reads only: writes never block).
func (c *dtlsConn) SetDeadline(t time.Time) error { c.rd.Set(t); return nil }

// SetReadDeadline implements net.PacketConn.
func (c *dtlsConn) SetReadDeadline(t time.Time) error { c.rd.Set(t); return nil }

// SetWriteDeadline implements net.PacketConn.
func (c *dtlsConn) SetWriteDeadline(time.Time) error { return nil }
