package engine

import (
	"net"
	"net/netip"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mmsg is a preallocated vector of datagrams for one recvmmsg or sendmmsg
// call. golang.org/x/net's ReadBatch allocates a net.UDPAddr per received
// message, so the engine issues the system calls itself to keep the packet
// path free of allocations. One mmsg belongs to one goroutine.
type mmsg struct {
	rc    syscall.RawConn
	hdrs  []unix.Mmsghdr
	iovs  []unix.Iovec
	names []unix.RawSockaddrInet6
	bufs  [][]byte // backing storage, one MTU-sized slot per message
	rctrl []byte   // control messages received with each (ctrlSpace each)

	// Coalesced form of the queued messages for UDP GSO (gso_linux.go).
	ghdrs []unix.Mmsghdr
	runs  []gsoRun // the queued messages behind each ghdrs entry
	ctrl  []byte
	// The queued messages grouped by destination (gso_linux.go): each
	// one's destination key, their indices and iovecs in grouped order,
	// and the table and chains that group them.
	keys  []uintptr
	perm  []int
	siovs []unix.Iovec
	next  []int32
	heads []int32
	dests destTable

	// State of the call in progress, kept here so the callbacks passed to
	// RawConn are bound once and not allocated per call.
	out        []unix.Mmsghdr
	off, count int
	done       int
	errno      syscall.Errno
	recvF      func(fd uintptr) bool
	sendF      func(fd uintptr) bool
}

func newMmsg(conn *net.UDPConn, n, size int) *mmsg {
	// SyscallConn of a *net.UDPConn cannot fail.
	rc, _ := conn.SyscallConn()
	m := &mmsg{
		rc:    rc,
		hdrs:  make([]unix.Mmsghdr, n),
		iovs:  make([]unix.Iovec, n),
		names: make([]unix.RawSockaddrInet6, n),
		bufs:  make([][]byte, n),
		ghdrs: make([]unix.Mmsghdr, n),
		runs:  make([]gsoRun, n),
		rctrl: make([]byte, n*ctrlSpace),
		ctrl:  make([]byte, n*(gsoCmsgSpace+ctrlSpace)),
		keys:  make([]uintptr, n),
		perm:  make([]int, n),
		siovs: make([]unix.Iovec, n),
		next:  make([]int32, n),
		heads: make([]int32, n),
		dests: newDestTable(n),
	}
	backing := make([]byte, n*size)
	for i := range m.hdrs {
		m.bufs[i] = backing[i*size : (i+1)*size : (i+1)*size]
		m.iovs[i].Base = &m.bufs[i][0]
		m.iovs[i].SetLen(size)
		m.hdrs[i].Hdr.Iov = &m.iovs[i]
		m.hdrs[i].Hdr.SetIovlen(1)
		m.hdrs[i].Hdr.Name = (*byte)(unsafe.Pointer(&m.names[i]))
	}
	m.recvF = m.recvmmsg
	m.sendF = m.sendmmsg
	return m
}

// recv blocks until at least one datagram is read and returns how many.
// Message i has m.hdrs[i].Len bytes in m.bufs[i] from m.names[i], sent
// to the local address in its control messages (m.local).
func (m *mmsg) recv() (int, error) {
	for i := range m.hdrs {
		m.hdrs[i].Hdr.Namelen = unix.SizeofSockaddrInet6
		m.hdrs[i].Hdr.Flags = 0
		m.hdrs[i].Hdr.Control = &m.rctrl[i*ctrlSpace]
		m.hdrs[i].Hdr.SetControllen(ctrlSpace)
		m.iovs[i].SetLen(cap(m.bufs[i]))
	}
	m.done, m.errno = 0, 0
	if err := m.rc.Read(m.recvF); err != nil {
		return 0, err
	}
	if m.errno != 0 {
		return 0, m.errno
	}
	return m.done, nil
}

func (m *mmsg) recvmmsg(fd uintptr) bool {
	n, _, e := unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&m.hdrs[0])),
		uintptr(len(m.hdrs)), unix.MSG_DONTWAIT, 0, 0)
	if e == unix.EAGAIN || e == unix.EINTR {
		return false // wait for the poller
	}
	m.done, m.errno = int(n), e
	return true
}

// send sends messages out[off:count], which the caller has filled. It
// returns how many the kernel took; when the first is refused it returns
// the error, and the caller skips that one.
func (m *mmsg) send(out []unix.Mmsghdr, off, count int) (int, error) {
	m.out, m.off, m.count, m.done, m.errno = out, off, count, 0, 0
	if err := m.rc.Write(m.sendF); err != nil {
		return 0, err
	}
	if m.errno != 0 {
		return 0, m.errno
	}
	return m.done, nil
}

func (m *mmsg) sendmmsg(fd uintptr) bool {
	n, _, e := unix.Syscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&m.out[m.off])),
		uintptr(m.count-m.off), 0, 0, 0)
	if e == unix.EAGAIN || e == unix.EINTR {
		return false
	}
	m.done, m.errno = int(n), e
	return true
}

// received returns message i of the last recv: its bytes and source, and
// false when it was truncated or from an unknown address family.
func (m *mmsg) received(i int) ([]byte, netip.AddrPort, bool) {
	h := &m.hdrs[i]
	src, ok := addrPort(&m.names[i])
	if !ok || h.Hdr.Flags&unix.MSG_TRUNC != 0 {
		return nil, src, false
	}
	return m.bufs[i][:h.Len], src, true
}

// local returns the local address message i of the last recv was sent
// to; the zero localAddr when the kernel did not say.
func (m *mmsg) local(i int) localAddr {
	h := &m.hdrs[i].Hdr
	n := int(h.Controllen)
	if h.Control == nil || n == 0 || n > ctrlSpace {
		return localAddr{}
	}
	return parseLocal(m.rctrl[i*ctrlSpace : i*ctrlSpace+n])
}

// setDest addresses message i, whose first n bytes of m.bufs[i] are filled.
// sa's identity is the destination's key for grouping (gso_linux.go): a
// bound peer address keeps one sockaddr while it is bound.
func (m *mmsg) setDest(i int, sa *sockaddr, n int) {
	m.keys[i] = uintptr(unsafe.Pointer(sa))
	m.names[i] = sa.raw
	m.hdrs[i].Hdr.Namelen = sa.len
	if sa.srcLen > 0 {
		// sa lives in its peer's bound address, which is never changed
		// in place: the pointer stays valid and unchanged while queued.
		m.hdrs[i].Hdr.Control = &sa.src[0]
		m.hdrs[i].Hdr.SetControllen(sa.srcLen)
	} else {
		m.hdrs[i].Hdr.Control = nil
		m.hdrs[i].Hdr.SetControllen(0)
	}
	m.iovs[i].SetLen(n)
}

// inject makes message i look received from sa with n bytes (benchmarks).
func (m *mmsg) inject(i int, sa *sockaddr, n int) {
	m.names[i] = sa.raw
	m.hdrs[i].Hdr.Flags = 0
	m.hdrs[i].Hdr.Control = nil
	m.hdrs[i].Hdr.SetControllen(0)
	m.hdrs[i].Len = uint32(n)
}
