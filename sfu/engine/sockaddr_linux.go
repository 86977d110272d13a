package engine

import (
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// sockaddr is a destination in the kernel's form, built once when an
// address is bound so each send only copies it.
type sockaddr struct {
	raw unix.RawSockaddrInet6 // large enough for AF_INET too
	len uint32
	// src is the control message that names the local address to send
	// from (pktinfo_linux.go), srcLen bytes of it; 0 leaves it to routing.
	src    [ctrlSpace]byte
	srcLen int
}

// newSockaddr encodes ap for an AF_INET socket (v4) or an AF_INET6 one,
// which reaches IPv4 peers through v4-mapped addresses.
func newSockaddr(v4 bool, ap netip.AddrPort) sockaddr {
	var s sockaddr
	port := ap.Port()
	if v4 {
		sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(&s.raw))
		sa.Family = unix.AF_INET
		putPort(&sa.Port, port)
		sa.Addr = ap.Addr().Unmap().As4()
		s.len = unix.SizeofSockaddrInet4
		return s
	}
	s.raw.Family = unix.AF_INET6
	putPort(&s.raw.Port, port)
	s.raw.Addr = ap.Addr().As16()
	s.len = unix.SizeofSockaddrInet6
	return s
}

// addrPort decodes a source address the kernel wrote; IPv4-mapped IPv6
// addresses are unmapped so a peer has one key whatever the socket family.
func addrPort(raw *unix.RawSockaddrInet6) (netip.AddrPort, bool) {
	switch raw.Family {
	case unix.AF_INET:
		sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(raw))
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), getPort(&sa.Port)), true
	case unix.AF_INET6:
		a := netip.AddrFrom16(raw.Addr).Unmap()
		return netip.AddrPortFrom(a, getPort(&raw.Port)), true
	}
	return netip.AddrPort{}, false
}

// The port fields hold network byte order whatever the host's.
func putPort(p *uint16, port uint16) {
	b := (*[2]byte)(unsafe.Pointer(p))
	b[0], b[1] = byte(port>>8), byte(port)
}

func getPort(p *uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(p))
	return uint16(b[0])<<8 | uint16(b[1])
}
