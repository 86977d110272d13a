//go:build !linux

package engine

import (
	"net"
	"net/netip"
	"syscall"
)

// sockaddr is a destination; off Linux the standard library encodes it.
type sockaddr struct{ ap netip.AddrPort }

func newSockaddr(_ bool, ap netip.AddrPort) sockaddr { return sockaddr{ap} }

// Off Linux replies leave from the address routing picks: the engine
// does not learn datagrams' local addresses there (pktinfo_linux.go).
func (s *sockaddr) setSource(bool, localAddr) {}

func (s *sockaddr) oob() []byte { return nil }

func setPktinfo(syscall.RawConn, bool, bool) error { return nil }

func (m *mmsg) local(int) localAddr { return localAddr{} }

// mmsg off Linux moves one datagram per system call with the standard
// library's allocation-free AddrPort calls: the same API, so `go run`
// works on a developer's machine, without the batching.
type mmsg struct {
	conn *net.UDPConn
	bufs [][]byte
	lens []int
	srcs []netip.AddrPort
	dsts []netip.AddrPort
}

func newMmsg(conn *net.UDPConn, n, size int) *mmsg {
	m := &mmsg{conn: conn, bufs: make([][]byte, n), lens: make([]int, n),
		srcs: make([]netip.AddrPort, n), dsts: make([]netip.AddrPort, n)}
	backing := make([]byte, n*size)
	for i := range m.bufs {
		m.bufs[i] = backing[i*size : (i+1)*size : (i+1)*size]
	}
	return m
}

func (m *mmsg) recv() (int, error) {
	n, src, err := m.conn.ReadFromUDPAddrPort(m.bufs[0])
	if err != nil {
		return 0, err
	}
	m.lens[0], m.srcs[0] = n, netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
	return 1, nil
}

// received treats a datagram that filled the buffer as truncated.
func (m *mmsg) received(i int) ([]byte, netip.AddrPort, bool) {
	if m.lens[i] >= cap(m.bufs[i]) {
		return nil, m.srcs[i], false
	}
	return m.bufs[i][:m.lens[i]], m.srcs[i], true
}

func (m *mmsg) setDest(i int, sa *sockaddr, n int) { m.dsts[i], m.lens[i] = sa.ap, n }

func (m *mmsg) inject(i int, sa *sockaddr, n int) { m.srcs[i], m.lens[i] = sa.ap, n }

// send sends message off; its caller loops over the rest.
func (m *mmsg) send(off, _ int) (int, error) {
	if _, err := m.conn.WriteToUDPAddrPort(m.bufs[off][:m.lens[off]], m.dsts[off]); err != nil {
		return 0, err
	}
	return 1, nil
}

// sendAll sends the n queued messages one by one; there is no UDP GSO.
func (m *mmsg) sendAll(n int, _ bool) (sent, refused int, first, gsoErr error) {
	for i := range n {
		if _, err := m.send(i, n); err != nil {
			refused++
			if first == nil {
				first = err
			}
			continue
		}
		sent++
	}
	return sent, refused, first, nil
}
