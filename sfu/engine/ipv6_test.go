package engine

import (
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// TestIPv6Sockets runs a check, media in and media out over an IPv6
// socket, and over a dual-stack one reached from IPv4 (v4-mapped
// addresses on the wire, plain IPv4 ones in the engine's map).
func TestIPv6Sockets(t *testing.T) {
	for _, listen := range []string{"[::1]:0", "[::]:0"} {
		t.Run(listen, func(t *testing.T) {
			e, err := New(Config{Listen: listen, PublicAddrs: []netip.Addr{netip.MustParseAddr("127.0.0.1")}})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			r := newRecorder()
			p, c := addFakePeer(t, e, r, true)
			if a, _ := p.RemoteAddr(); a != clientAddr(c.conn) {
				t.Fatalf("bound %v, want %v", a, clientAddr(c.conn))
			}
			c.sendRTP(t, 1, "up")
			select {
			case g := <-r.rtp:
				if g.payload != "up" {
					t.Fatalf("handler got %q", g.payload)
				}
			case <-time.After(2 * time.Second):
				t.Fatalf("nothing reached the handler: %+v", e.Stats())
			}
			if err := p.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 3, SequenceNumber: 1},
				Payload: []byte("down")}); err != nil {
				t.Fatal(err)
			}
			if got := c.readRTP(t); string(got.Payload) != "down" {
				t.Fatalf("client read %q", got.Payload)
			}
		})
	}
}
