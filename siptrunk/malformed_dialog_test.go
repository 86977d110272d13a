package siptrunk

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"xphone/configs"
)

// rawDialog is an established dialog between a raw peer and the trunk.
type rawDialog struct {
	peer   *rawSocket
	callID string
	to     string // To header with our tag
	cseq   int
	offer  string // the SDP the peer's INVITE offered
}

// establishRaw sends an INVITE from peer, ACKs the 200 and returns the dialog.
func establishRaw(t *testing.T, tr *Trunk, peer *rawSocket, callID string) *rawDialog {
	t.Helper()
	return establishRawWith(t, tr, peer, callID, realOffer(t))
}

// establishRawWith is establishRaw with the SDP offer given.
func establishRawWith(t *testing.T, tr *Trunk, peer *rawSocket, callID, offer string) *rawDialog {
	t.Helper()
	peer.send(t, peer.rawInvite(callID, "", offer))
	res, ok := peer.await("SIP/2.0 200", 5*time.Second)
	for ok && !strings.Contains(res, "Call-ID: "+callID+"\r\n") {
		res, ok = peer.await("SIP/2.0 200", 5*time.Second)
	}
	if !ok {
		t.Fatal("raw INVITE not answered 200")
	}
	peer.send(t, peer.ack(callID, res))
	waitUntil(t, 3*time.Second, "the ACK processed", func() bool { l := tr.legFor(callID); return l != nil && l.dlg.Load() != nil })
	d := &rawDialog{peer: peer, callID: callID, cseq: 1, offer: offer}
	for _, l := range strings.Split(res, "\r\n") {
		if strings.HasPrefix(l, "To:") {
			d.to = l
		}
	}
	return d
}

// request sends an in-dialog request with extra header lines and body and
// returns the final response's status line.
func (d *rawDialog) request(t *testing.T, method, extra, body string) string {
	t.Helper()
	d.cseq++
	msg := fmt.Sprintf("%s sip:xphone@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK%d\r\n"+
		"From: <sip:0300@127.0.0.2>;tag=raw1\r\n%s\r\nCall-ID: %s\r\nCSeq: %d %s\r\nMax-Forwards: 70\r\n"+
		"Contact: <sip:0300@%s>\r\n%sContent-Length: %d\r\n\r\n%s",
		method, ourSIP, d.peer.addr, time.Now().UnixNano(), d.to, d.callID, d.cseq, method, d.peer.addr, extra, len(body), body)
	d.peer.send(t, msg)
	// Skip provisional answers and retransmissions for other transactions.
	mine := fmt.Sprintf("CSeq: %d %s", d.cseq, method)
	res, ok := d.peer.await("SIP/2.0 ", 3*time.Second)
	for ok && (strings.HasPrefix(res, "SIP/2.0 1") || !strings.Contains(res, mine)) {
		res, ok = d.peer.await("SIP/2.0 ", 3*time.Second)
	}
	line, _, _ := strings.Cut(res, "\r\n")
	if method == "INVITE" && strings.Contains(line, " 200 ") {
		d.peer.send(t, strings.Replace(d.peer.ack(d.callID, res), "CSeq: 1 ACK", fmt.Sprintf("CSeq: %d ACK", d.cseq), 1))
	}
	return line + "\n" + res
}

// TestMalformedInDialog: in-dialog UPDATE, REFER, re-INVITE and INFO,
// well-formed or not, get the right answers and the trunk lives on: a
// body that is not SDP is never answered 200 (415 for another type, 488
// for an unusable SDP), a Session-Expires below Min-SE gets 422 as on a
// new INVITE, and a re-INVITE without an offer gets ours.
func TestMalformedInDialog(t *testing.T) {
	tr := newTestTrunk(t, configs.Trunk{}, answeringPlacer{})
	peer := newRawSocket(t, "127.0.0.2:5098")
	d := establishRaw(t, tr, peer, "indialog-1")
	// Re-offers repeat the INVITE's SDP (same ICE credentials): another
	// offer would be an ICE restart, which is refused (488).
	offer := strings.Replace(d.offer, "a=sendrecv", "a=sendonly", 1)
	for _, tc := range []struct {
		name, method, extra, body, want, wantBody string
	}{
		{"REFER without Refer-To", "REFER", "", "", " 400 ", ""},
		{"REFER with an unparsable Refer-To", "REFER", "Refer-To: <nonsense\r\n", "", " 400 ", ""},
		{"REFER with two Refer-To", "REFER", "Refer-To: <sip:1@x>\r\nRefer-To: <sip:2@x>\r\n", "", " 400 ", ""},
		{"REFER outside (no refer_permission)", "REFER", "Refer-To: <sip:0200@127.0.0.1>\r\n", "", " 403 ", ""},
		{"REFER while not in a call", "REFER", "Refer-To: <sip:1001@127.0.0.1>\r\n", "", " 603 ", ""},
		{"UPDATE without SDP (session refresh)", "UPDATE", "", "", " 200 ", "Session-Expires:"},
		{"UPDATE with a sendonly offer", "UPDATE", "Content-Type: application/sdp\r\n", offer, " 200 ", "a=recvonly"},
		{"re-INVITE inactive", "INVITE", "Content-Type: application/sdp\r\n", strings.Replace(offer, "a=sendonly", "a=inactive", 1), " 200 ", "a=inactive"},
		{"re-INVITE with a text body", "INVITE", "Content-Type: text/plain\r\n", "hello", " 415 ", "Accept: application/sdp"},
		{"re-INVITE whose SDP is not SDP", "INVITE", "Content-Type: application/sdp\r\n", "hello", " 488 ", ""},
		{"re-INVITE with a body but no Content-Type", "INVITE", "", "v=0\r\n", " 400 ", ""},
		{"re-INVITE with Session-Expires 1", "INVITE", "Supported: timer\r\nSession-Expires: 1\r\nContent-Type: application/sdp\r\n", offer, " 422 ", "Min-SE: 90"},
		{"UPDATE with Session-Expires 1", "UPDATE", "Session-Expires: 1\r\n", "", " 422 ", "Min-SE: 90"},
		{"re-INVITE without an offer", "INVITE", "", "", " 200 ", "m=audio"},
		{"INFO DTMF", "INFO", "Content-Type: application/dtmf-relay\r\n", "Signal=5\r\nDuration=160\r\n", " 200 ", ""},
		{"INFO with garbage", "INFO", "Content-Type: application/dtmf-relay\r\n", "Signal=\x00\xff\r\n", " 200 ", ""},
	} {
		got := d.request(t, tc.method, tc.extra, tc.body)
		line, _, _ := strings.Cut(got, "\n")
		t.Logf("%s → %q", tc.name, line)
		if !strings.Contains(line, tc.want) || !strings.Contains(got, tc.wantBody) {
			t.Errorf("%s: %q, want%s with %q", tc.name, line, tc.want, tc.wantBody)
		}
	}
	unknown := &rawDialog{peer: peer, callID: "no-such-dialog", to: "To: <sip:4930@127.0.0.1>;tag=nope", cseq: 1}
	for _, m := range []string{"UPDATE", "REFER"} {
		if line := unknown.request(t, m, "Refer-To: <sip:1001@x>\r\n", ""); !strings.Contains(line, " 481 ") {
			t.Errorf("%s for an unknown dialog: %q, want 481", m, strings.SplitN(line, "\n", 2)[0])
		}
	}
	if n := tr.Stats.Panics.Load(); n != 0 {
		t.Errorf("%d handler panics", n)
	}
	if got := exchange(t, "127.0.0.2:5099", strings.Replace(rawRequest("OPTIONS", "SIP/2.0", "1 OPTIONS"), "5090", "5099", 1)); !strings.Contains(got, " 200 ") {
		t.Errorf("trunk not alive after malformed in-dialog requests: OPTIONS → %q", got)
	}
	if tr.liveLegs() != 1 {
		t.Errorf("live dialogs = %d, want 1 (the raw call)", tr.liveLegs())
	}
	if line := d.request(t, "BYE", "", ""); !strings.Contains(line, " 200 ") {
		t.Errorf("BYE after the odd requests: %q", strings.SplitN(line, "\n", 2)[0])
	}
}
