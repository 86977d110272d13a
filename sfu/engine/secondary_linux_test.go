package engine

import (
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/pion/webrtc/v4"
)

// TestReplyFromSecondaryAddress: an engine bound to 0.0.0.0 advertises
// 127.0.0.1 and 127.0.0.2; a browser on 127.0.0.1 is given only the
// 127.0.0.2 candidate (as a browser that can reach only a host's second
// address). Routing would answer it from 127.0.0.1, the primary address
// for that destination, and its ICE agent would drop every answer; the
// engine replies from the address each packet came to, so ICE, DTLS and
// media both ways (batched, unbatched, RTCP) work over 127.0.0.2.
func TestReplyFromSecondaryAddress(t *testing.T) {
	primary, second := netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("127.0.0.2")
	e, err := New(Config{Listen: "0.0.0.0:0", PublicAddrs: []netip.Addr{primary, second}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	b := newBrowserWith(t, func(se *webrtc.SettingEngine) {
		se.SetIPFilter(func(ip net.IP) bool { return ip.Equal(primary.AsSlice()) })
	})
	r := newRecorder()
	offer, op := parseOffer(t, b.offer(t))
	p, err := e.AddPeer(PeerConfig{RemoteUfrag: op.ufrag, RemoteFingerprint: op.fingerprint, Handler: r})
	if err != nil {
		t.Fatal(err)
	}
	l := p.Local()
	l.Candidates = slices.DeleteFunc(l.Candidates, func(c string) bool {
		return !strings.Contains(c, " "+second.String()+" ")
	})
	if len(l.Candidates) != 1 {
		t.Fatalf("no candidate on %s among %q", second, p.Local().Candidates)
	}
	b.accept(t, buildAnswer(t, offer, l))
	waitReady(t, p)
	ssrcs := sendUntil(t, b, r, "up", 3)
	engineToBrowser(t, e, p, b)
	pliToBrowser(t, p, b, ssrcs[96])
	pair, err := b.pc.SCTP().Transport().ICETransport().GetSelectedCandidatePair()
	if err != nil || pair == nil {
		t.Fatalf("browser has no selected pair: %v", err)
	}
	if pair.Remote.Address != second.String() || pair.Local.Address != primary.String() {
		t.Fatalf("browser's pair %s → %s, want %s → %s", pair.Local.Address, pair.Remote.Address, primary, second)
	}
}
