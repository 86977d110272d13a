package engine

import (
	"net/netip"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The engine binds every address of the host (0.0.0.0 or [::]) and
// advertises several of them. The kernel picks the source address of a
// reply by routing, which for a peer that reached a secondary address is
// the primary one, and ICE drops packets from an address it did not check
// (calls over the second address would fail). So the socket reports each
// datagram's destination (IP_PKTINFO, IPV6_RECVPKTINFO), a peer keeps the
// local address it reached, and every reply names it as its source.

// ctrlSpace is the room for the control messages of one received
// datagram, and for a peer's source control message: an in6_pktinfo
// (the largest) with its header, rounded up.
const ctrlSpace = 64

// pktinfoSpace is the room one IP_PKTINFO or IPV6_PKTINFO message takes.
var pktinfoSpace = unix.CmsgSpace(unix.SizeofInet6Pktinfo)

// cmsgAlign is the alignment of control messages in a buffer.
var cmsgAlign = unix.CmsgSpace(1) - unix.CmsgLen(0)

// setPktinfo asks the kernel for each datagram's destination address
// (on), or stops it. An AF_INET6 socket reports IPv4 datagrams as
// v4-mapped IPV6_PKTINFO.
func setPktinfo(rc syscall.RawConn, v4, on bool) error {
	val := 0
	if on {
		val = 1
	}
	var serr error
	err := rc.Control(func(fd uintptr) {
		if v4 {
			serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_PKTINFO, val)
			return
		}
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_RECVPKTINFO, val)
	})
	if err != nil {
		return err
	}
	return serr
}

// parseLocal returns the destination address in the control messages of
// a received datagram, or the zero localAddr when there is none. It walks
// the buffer by hand: unix.ParseSocketControlMessage allocates.
func parseLocal(ctrl []byte) localAddr {
	hdr := unix.CmsgLen(0)
	for len(ctrl) >= hdr {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&ctrl[0]))
		l := int(h.Len)
		if l < hdr || l > len(ctrl) {
			break
		}
		data := ctrl[hdr:l]
		switch {
		case h.Level == unix.IPPROTO_IP && h.Type == unix.IP_PKTINFO && len(data) >= unix.SizeofInet4Pktinfo:
			pi := (*unix.Inet4Pktinfo)(unsafe.Pointer(&data[0]))
			return localAddr{addr: netip.AddrFrom4(pi.Addr)}
		case h.Level == unix.IPPROTO_IPV6 && h.Type == unix.IPV6_PKTINFO && len(data) >= unix.SizeofInet6Pktinfo:
			pi := (*unix.Inet6Pktinfo)(unsafe.Pointer(&data[0]))
			a := netip.AddrFrom16(pi.Addr).Unmap()
			la := localAddr{addr: a}
			if a.Is6() && a.IsLinkLocalUnicast() {
				la.ifindex = pi.Ifindex
			}
			return la
		}
		next := (l + cmsgAlign - 1) &^ (cmsgAlign - 1)
		if next >= len(ctrl) {
			break
		}
		ctrl = ctrl[next:]
	}
	return localAddr{}
}

// setSource makes s send from local: an IP_PKTINFO message (ipi_spec_dst)
// on an AF_INET socket, an IPV6_PKTINFO one (v4-mapped for an IPv4 peer
// of a dual-stack socket) on an AF_INET6 one. A zero local leaves the
// choice to routing.
func (s *sockaddr) setSource(v4 bool, local localAddr) {
	s.srcLen = 0
	if !local.addr.IsValid() {
		return
	}
	clear(s.src[:])
	h := (*unix.Cmsghdr)(unsafe.Pointer(&s.src[0]))
	data := s.src[unix.CmsgLen(0):]
	if v4 {
		if !local.addr.Unmap().Is4() {
			return
		}
		h.Level, h.Type = unix.IPPROTO_IP, unix.IP_PKTINFO
		h.SetLen(unix.CmsgLen(unix.SizeofInet4Pktinfo))
		pi := (*unix.Inet4Pktinfo)(unsafe.Pointer(&data[0]))
		pi.Spec_dst = local.addr.Unmap().As4()
		s.srcLen = unix.CmsgSpace(unix.SizeofInet4Pktinfo)
		return
	}
	h.Level, h.Type = unix.IPPROTO_IPV6, unix.IPV6_PKTINFO
	h.SetLen(unix.CmsgLen(unix.SizeofInet6Pktinfo))
	pi := (*unix.Inet6Pktinfo)(unsafe.Pointer(&data[0]))
	pi.Addr = local.addr.As16() // an IPv4 address becomes v4-mapped
	pi.Ifindex = local.ifindex
	s.srcLen = pktinfoSpace
}

// oob is s's source control message for a single write, nil without one.
func (s *sockaddr) oob() []byte {
	if s.srcLen == 0 {
		return nil
	}
	return s.src[:s.srcLen]
}
