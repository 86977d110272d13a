package engine

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtp"
	"golang.org/x/sys/unix"
)

// TestPktinfoEncode: a peer's source control message is byte for byte
// what x/sys builds for the same in_pktinfo / in6_pktinfo.
func TestPktinfoEncode(t *testing.T) {
	cases := []struct {
		name  string
		v4    bool
		local localAddr
		want  []byte
	}{
		{"AF_INET", true, localAddr{addr: netip.MustParseAddr("127.0.0.2")},
			unix.PktInfo4(&unix.Inet4Pktinfo{Spec_dst: [4]byte{127, 0, 0, 2}})},
		{"AF_INET6", false, localAddr{addr: netip.MustParseAddr("2001:db8::2")},
			unix.PktInfo6(&unix.Inet6Pktinfo{Addr: netip.MustParseAddr("2001:db8::2").As16()})},
		{"AF_INET6 link-local", false, localAddr{addr: netip.MustParseAddr("fe80::2"), ifindex: 3},
			unix.PktInfo6(&unix.Inet6Pktinfo{Addr: netip.MustParseAddr("fe80::2").As16(), Ifindex: 3})},
		{"dual-stack, IPv4 peer", false, localAddr{addr: netip.MustParseAddr("127.0.0.2")},
			unix.PktInfo6(&unix.Inet6Pktinfo{Addr: netip.MustParseAddr("::ffff:127.0.0.2").As16()})},
		{"unknown local address", false, localAddr{}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var s sockaddr
			s.setSource(tc.v4, tc.local)
			if got := s.oob(); !bytes.Equal(got, tc.want) {
				t.Fatalf("control message\n got %x\nwant %x", got, tc.want)
			}
		})
	}
}

// TestPktinfoDecode: the local address is found in what the kernel
// writes, after other control messages, and v4-mapped addresses are
// unmapped so a peer has one key whatever the socket family.
func TestPktinfoDecode(t *testing.T) {
	other := unix.UnixRights(7) // any control message before ours
	v6 := func(a string, ifindex uint32) []byte {
		return unix.PktInfo6(&unix.Inet6Pktinfo{Addr: netip.MustParseAddr(a).As16(), Ifindex: ifindex})
	}
	cases := []struct {
		name string
		ctrl []byte
		want localAddr
	}{
		{"IP_PKTINFO", unix.PktInfo4(&unix.Inet4Pktinfo{Ifindex: 1, Spec_dst: [4]byte{127, 0, 0, 1},
			Addr: [4]byte{127, 0, 0, 2}}), localAddr{addr: netip.MustParseAddr("127.0.0.2")}},
		{"IPV6_PKTINFO", v6("2001:db8::2", 2), localAddr{addr: netip.MustParseAddr("2001:db8::2")}},
		{"IPV6_PKTINFO link-local", v6("fe80::2", 2), localAddr{addr: netip.MustParseAddr("fe80::2"), ifindex: 2}},
		{"IPV6_PKTINFO v4-mapped", v6("::ffff:127.0.0.2", 1), localAddr{addr: netip.MustParseAddr("127.0.0.2")}},
		{"after another message", append(other, v6("::1", 1)...), localAddr{addr: netip.IPv6Loopback()}},
		{"none", other, localAddr{}},
		{"truncated", v6("::1", 1)[:20], localAddr{}},
		{"empty", nil, localAddr{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := parseLocal(tc.ctrl); got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestLocalAddrReceived: recvmmsg reports the address each datagram was
// sent to, on AF_INET, AF_INET6 and dual-stack sockets.
func TestLocalAddrReceived(t *testing.T) {
	cases := []struct{ listen, to string }{
		{"0.0.0.0:0", "127.0.0.2"},
		{"0.0.0.0:0", "127.0.0.1"},
		{"[::]:0", "127.0.0.2"},
		{"[::1]:0", "::1"},
	}
	for _, tc := range cases {
		t.Run(tc.listen+"→"+tc.to, func(t *testing.T) {
			listen := netip.MustParseAddrPort(tc.listen)
			network := map[bool]string{true: "udp4", false: "udp"}[listen.Addr().Is4()]
			srv, err := net.ListenUDP(network, net.UDPAddrFromAddrPort(listen))
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			rc, _ := srv.SyscallConn()
			if err := setPktinfo(rc, listen.Addr().Is4(), true); err != nil {
				t.Fatal(err)
			}
			to := netip.AddrPortFrom(netip.MustParseAddr(tc.to), srv.LocalAddr().(*net.UDPAddr).AddrPort().Port())
			c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(to))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := c.Write([]byte("x")); err != nil {
				t.Fatal(err)
			}
			_ = srv.SetReadDeadline(time.Now().Add(2 * time.Second))
			m := newMmsg(srv, 4, slotSize)
			if n, err := m.recv(); err != nil || n != 1 {
				t.Fatalf("recv: %d, %v", n, err)
			}
			if got := m.local(0).addr; got != to.Addr() {
				t.Fatalf("local address %v, want %v", got, to.Addr())
			}
		})
	}
}

// TestGSOFromSecondaryAddress: a peer bound by a check sent to 127.0.0.2
// of an engine on 0.0.0.0 gets a frame's run of datagrams, sent as one
// UDP GSO message whose control carries UDP_SEGMENT and IP_PKTINFO, from
// 127.0.0.2: its connected socket drops datagrams from any other source.
func TestGSOFromSecondaryAddress(t *testing.T) {
	second := netip.MustParseAddr("127.0.0.2")
	e, err := New(Config{Listen: "0.0.0.0:0", PublicAddrs: []netip.Addr{second}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	conn, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(second, e.LocalAddr().Port())))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	p, c := addFakePeerOn(t, e, newRecorder(), true, conn)
	batch := e.NewBatch(8)
	for i := range 4 {
		pkt := &rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 1, SequenceNumber: uint16(i)},
			Payload: []byte(fmt.Sprintf("%0600d", i))}
		if err := batch.AddRTP(p, pkt); err != nil {
			t.Fatal(err)
		}
	}
	if g := batch.m.coalesce(batch.n); g != 1 {
		t.Fatalf("%d messages, want the run as one", g)
	}
	if err := batch.Flush(); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		if got := c.readRTP(t); got.SequenceNumber != uint16(i) {
			t.Fatalf("datagram %d: seq %d", i, got.SequenceNumber)
		}
	}
	if e.noGSO.Load() {
		t.Fatal("the kernel refused the GSO message with IP_PKTINFO")
	}
}
