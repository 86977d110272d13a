package siptrunk_test

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// TestTrunkCallSetupFigures: INVITE → 180 Ringing for a callee on the node
// the INVITE reaches and for one homed on the other node, timed at the
// sending socket (a plain-RTP INVITE written by hand, so no SIP stack or
// its event loop on our side is in the figure); calls alternate, each
// cancelled once ringing. It asserts only that every call rings; the
// figures go to docs/cluster.md.
func TestTrunkCallSetupFigures(t *testing.T) {
	if testing.Short() {
		t.Skip("figures only")
	}
	a, b, _ := trunkNodes(t, func(s string) string { return strings.Replace(s, "codecs: [pcmu],", "codecs: [pcmu], media: rtp,", 1) })
	alice := loggedInTab(t, a, "1001", "pw1001")
	loggedInTab(t, b, "1002", "pw1002")
	waitPresence(t, alice, "1002", "available")
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2), Port: 5072})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	pbx := &rawPBX{t: t, c: conn}
	var local, across []time.Duration
	for i := range 10 {
		local = append(local, pbx.timeToRinging(fmt.Sprintf("fig-l%d", i), "1001"))
		across = append(across, pbx.timeToRinging(fmt.Sprintf("fig-x%d", i), "1002"))
	}
	t.Logf("INVITE → 180, callee on the trunk's node: %s", spread(local))
	t.Logf("INVITE → 180, callee on the other node:   %s", spread(across))
}

// rawPBX writes SIP by hand from 127.0.0.2:5072 to n1.
type rawPBX struct {
	t *testing.T
	c *net.UDPConn
}

const rawOffer = "v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\n" +
	"m=audio 40002 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n"

// request is a request of the INVITE transaction callID (the CANCEL and
// ACK share its branch); toTag is the To tag for the ACK.
func (p *rawPBX) request(method, callID, to, toTag, body string) string {
	head := fmt.Sprintf("%s sip:%s@%s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.2:5072;branch=z9hG4bK%s\r\n"+
		"From: <sip:0300@127.0.0.2>;tag=pbx%s\r\nTo: <sip:%s@127.0.0.1>%s\r\nCall-ID: %s\r\nCSeq: 1 %s\r\n"+
		"Contact: <sip:0300@127.0.0.2:5072>\r\nMax-Forwards: 70\r\n", method, to, n1SIP, callID, callID, to, toTag, callID, method)
	if body == "" {
		return head + "Content-Length: 0\r\n\r\n"
	}
	return head + fmt.Sprintf("Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
}

func (p *rawPBX) send(msg string) {
	p.t.Helper()
	if _, err := p.c.WriteToUDP([]byte(msg), &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5060}); err != nil {
		p.t.Fatal(err)
	}
}

// await reads until a response to callID whose status line starts with
// status, and returns it.
func (p *rawPBX) await(callID, status string) string {
	p.t.Helper()
	buf := make([]byte, 65536)
	deadline := time.Now().Add(5 * time.Second)
	for {
		_ = p.c.SetReadDeadline(deadline)
		n, _, err := p.c.ReadFromUDP(buf)
		if err != nil {
			p.t.Fatalf("no %q for %s: %v", status, callID, err)
		}
		msg := string(buf[:n])
		if strings.HasPrefix(msg, "SIP/2.0 "+status) && strings.Contains(msg, callID) {
			return msg
		}
	}
}

// timeToRinging sends an INVITE for ext, times it to the 180, then
// cancels the call and acknowledges the 487.
func (p *rawPBX) timeToRinging(callID, ext string) time.Duration {
	p.t.Helper()
	start := time.Now()
	p.send(p.request("INVITE", callID, ext, "", rawOffer))
	p.await(callID, "180")
	took := time.Since(start)
	p.send(p.request("CANCEL", callID, ext, "", ""))
	res := p.await(callID, "487")
	tag := ""
	for _, line := range strings.Split(res, "\r\n") {
		if strings.HasPrefix(strings.ToLower(line), "to:") {
			if _, after, ok := strings.Cut(line, ";tag="); ok {
				tag = ";tag=" + strings.Fields(strings.Split(after, ";")[0])[0]
			}
		}
	}
	p.send(p.request("ACK", callID, ext, tag, ""))
	return took
}
