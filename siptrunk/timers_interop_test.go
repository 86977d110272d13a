package siptrunk

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"xphone/configs"
	"xphone/internal/testpeers"
	"xphone/sfu"
	"xphone/siptrunk/sipmedia"
)

// shortSessionTimers lowers the RFC 4028 floor for one test, so session
// refreshes and expiry happen within seconds.
func shortSessionTimers(t *testing.T, floor time.Duration) {
	t.Helper()
	old := minSE
	minSE = floor
	t.Cleanup(func() { minSE = old })
}

// TestSessionTimerRefresh: baresip (no timer support) calls us; we answer
// with Session-Expires;refresher=uas and refresh the session with
// re-INVITEs at half the interval; the call and its media survive.
func TestSessionTimerRefresh(t *testing.T) {
	shortSessionTimers(t, time.Second)
	client, leg := browserLeg(t, testMediaAPI(t), "1001")
	b := startBaresip(t, callerAccount)
	tr, _ := placedTrunk(t, configs.Trunk{SessionExpires: configs.Duration(2 * time.Second)}, &fakeExtension{number: "1001", leg: leg})
	b.Command(t, "dial", "sip:4930@"+ourSIP)
	b.WaitEvent(t, "CALL_ESTABLISHED", 10*time.Second)
	client.Listen()
	sip := onlyLeg(t, tr)
	if sip.timer == nil || !sip.timer.weRefresh || sip.timer.interval != 2*time.Second {
		t.Fatalf("session timer %+v, want 2s with us refreshing", sip.timer)
	}
	start := time.Now()
	waitUntil(t, 8*time.Second, "two session refreshes", func() bool { return sip.refreshes.Load() >= 2 })
	took := time.Since(start)
	// baresip reports an offer on ctrl_tcp a moment after it answered it.
	for end := time.Now().Add(2 * time.Second); remoteOffers(b) < 2 && time.Now().Before(end); {
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("two refreshes in %s; baresip saw %d offers", took, remoteOffers(b))
	if n := remoteOffers(b); n < 2 {
		t.Errorf("baresip received %d re-INVITE offers, want ≥ 2", n)
	}
	time.Sleep(time.Second)
	db := toneHeard(client)
	t.Logf("after the refreshes the extension hears baresip at %.1f dBFS", db)
	if db < -30 || b.FindEvent("CALL_CLOSED") != nil {
		t.Errorf("call lost across refreshes: %.1f dB, events %v", db, b.EventTypes())
	}
}

// rawSocket is a SIP peer on 127.0.0.2 speaking raw UDP.
type rawSocket struct {
	net.PacketConn
	addr string
}

func newRawSocket(t *testing.T, addr string) *rawSocket {
	t.Helper()
	c, err := net.ListenPacket("udp4", addr)
	must(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return &rawSocket{PacketConn: c, addr: addr}
}

func (r *rawSocket) send(t *testing.T, msg string) {
	t.Helper()
	dst, _ := net.ResolveUDPAddr("udp4", ourSIP)
	_, err := r.WriteTo([]byte(msg), dst)
	must(t, err)
}

// await reads messages until one's first line contains want, or d passes.
func (r *rawSocket) await(want string, d time.Duration) (string, bool) {
	deadline := time.Now().Add(d)
	buf := make([]byte, 8192)
	for {
		_ = r.SetReadDeadline(deadline)
		n, _, err := r.ReadFrom(buf)
		if err != nil {
			return "", false
		}
		msg := string(buf[:n])
		if line, _, _ := strings.Cut(msg, "\r\n"); strings.Contains(line, want) {
			return msg, true
		}
	}
}

// rawInvite is an INVITE from r with extra headers and an SDP body.
func (r *rawSocket) rawInvite(callID, extra, body string) string {
	return fmt.Sprintf("INVITE sip:4930@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK%d\r\n"+
		"From: <sip:0300@127.0.0.2>;tag=raw1\r\nTo: <sip:4930@127.0.0.1>\r\nCall-ID: %s\r\nCSeq: 1 INVITE\r\n"+
		"Contact: <sip:0300@%s>\r\nMax-Forwards: 70\r\n%sContent-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s",
		ourSIP, r.addr, time.Now().UnixNano(), callID, r.addr, extra, len(body), body)
}

// ack acknowledges a 2xx of callID (its To carries the dialog's tag).
func (r *rawSocket) ack(callID, res string) string {
	to := ""
	for _, l := range strings.Split(res, "\r\n") {
		if strings.HasPrefix(l, "To:") || strings.HasPrefix(l, "t:") {
			to = l
		}
	}
	return fmt.Sprintf("ACK sip:xphone@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK%d\r\n"+
		"From: <sip:0300@127.0.0.2>;tag=raw1\r\n%s\r\nCall-ID: %s\r\nCSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
		ourSIP, r.addr, time.Now().UnixNano(), to, callID)
}

// okTo is a 200 answering the request msg (its Via, From, To, Call-ID and
// CSeq copied).
func okTo(msg string) string {
	var b strings.Builder
	b.WriteString("SIP/2.0 200 OK\r\n")
	for _, l := range strings.Split(msg, "\r\n") {
		for _, h := range []string{"Via:", "From:", "To:", "Call-ID:", "CSeq:", "v:", "f:", "t:", "i:"} {
			if strings.HasPrefix(l, h) {
				b.WriteString(l + "\r\n")
			}
		}
	}
	b.WriteString("Content-Length: 0\r\n\r\n")
	return b.String()
}

// answeringPlacer answers every inbound call at once, with no media.
type answeringPlacer struct{}

func (answeringPlacer) Place(req sfu.PlaceRequest) (string, error) {
	go req.Observer.Connected(req.ID, sfu.Identity{Number: "1001"}, false, time.Now())
	return req.ID, nil
}

// realOffer is a real ICE + DTLS offer for a raw peer to send.
func realOffer(t *testing.T) string {
	t.Helper()
	m, err := sipmedia.New(sipmedia.Config{IP: net.ParseIP("127.0.0.2"), Codecs: []string{"pcmu"}, ICE: "on"}, "", false)
	must(t, err)
	t.Cleanup(func() { _ = m.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	offer, err := m.Offer(ctx)
	must(t, err)
	return offer
}

// TestSessionTimerExpiryAnd422: an interval below Min-SE gets 422 with
// our Min-SE; a peer that takes the refresher role refreshes once by
// UPDATE, then stops, and gets a BYE when the session expires.
func TestSessionTimerExpiryAnd422(t *testing.T) {
	shortSessionTimers(t, 3*time.Second)
	tr := newTestTrunk(t, configs.Trunk{}, answeringPlacer{})
	peer := newRawSocket(t, "127.0.0.2:5097")
	peer.send(t, peer.rawInvite("se-small", "Supported: timer\r\nSession-Expires: 2\r\n", realOffer(t)))
	res, ok := peer.await("SIP/2.0 422", 3*time.Second)
	if !ok || !strings.Contains(res, "Min-SE: 3") {
		t.Fatalf("Session-Expires below Min-SE: got %q, want 422 with Min-SE: 3", res)
	}
	peer.send(t, peer.rawInvite("se-expire", "Supported: timer\r\nSession-Expires: 3;refresher=uac\r\n", realOffer(t)))
	res, ok = peer.await("SIP/2.0 200", 5*time.Second)
	if !ok || !strings.Contains(res, "refresher=uac") {
		t.Fatalf("no 200 with Session-Expires refresher=uac: %q", res)
	}
	peer.send(t, peer.ack("se-expire", res))
	waitUntil(t, 3*time.Second, "the ACK processed", func() bool { l := tr.legFor("se-expire"); return l != nil && l.dlg.Load() != nil })
	// One refresh by UPDATE after 1 s moves the expiry (2 s after a refresh).
	time.Sleep(time.Second)
	d := &rawDialog{peer: peer, callID: "se-expire", cseq: 1}
	for _, l := range strings.Split(res, "\r\n") {
		if strings.HasPrefix(l, "To:") {
			d.to = l
		}
	}
	if line := d.request(t, "UPDATE", "", ""); !strings.Contains(line, " 200 ") {
		t.Fatalf("refreshing UPDATE: %q", strings.SplitN(line, "\n", 2)[0])
	}
	refreshed := time.Now()
	bye, ok := peer.await("BYE ", 6*time.Second)
	if !ok {
		t.Fatal("no BYE after the session expired")
	}
	took := time.Since(refreshed)
	peer.send(t, okTo(bye))
	t.Logf("BYE %s after the peer's last refresh (interval 3 s)", took.Round(10*time.Millisecond))
	if took < 1500*time.Millisecond || !strings.Contains(bye, "se-expire") {
		t.Errorf("BYE too early (%s): the refresh did not count, or wrong dialog:\n%s", took, bye)
	}
	waitUntil(t, 5*time.Second, "leg gone", func() bool { return tr.liveLegs() == 0 })
}

// toneHeard is the level of baresip's 440 Hz tone in the last second the
// fake browser heard.
func toneHeard(c interface{ Heard(time.Duration) []int16 }) float64 {
	return testpeers.ToneDB(c.Heard(time.Second), 48000, 440)
}
