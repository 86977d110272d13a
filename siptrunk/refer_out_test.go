package siptrunk

import (
	"strings"
	"testing"
	"time"

	"xphone/configs"
	"xphone/sfu"
)

// referOutSetup: a raw PBX at 127.0.0.2:5099 (also the trunk's address)
// calls extension 1001, a fake browser, through a refer_to_trunk trunk;
// the call is connected; it returns our SIP leg in it.
func referOutSetup(t *testing.T, callID string) (*sfu.Calls, *sfu.WebRTCLeg, *rawSocket, *rawDialog, *Leg) {
	t.Helper()
	api := testMediaAPI(t)
	_, browser := browserLeg(t, api, "1001")
	pbx := "127.0.0.2:5099"
	tr, calls := placedTrunkPerm(t, configs.Trunk{Address: pbx, ReferToTrunk: true}, &fakeExtension{number: "1001", leg: browser},
		func(string) string { return "national" })
	peer := newRawSocket(t, pbx)
	d := establishRaw(t, tr, peer, callID)
	waitUntil(t, 5*time.Second, "the call placed", func() bool { return tr.legFor(callID).callID != "" })
	return calls, browser, peer, d, tr.legFor(callID)
}

// answerTo is okTo with another status line.
func answerTo(msg, status string) string {
	return strings.Replace(okTo(msg), "SIP/2.0 200 OK", "SIP/2.0 "+status, 1)
}

// TestReferToTrunk: 1001 blind-transfers the PBX's caller to 0123, which
// routes to the same trunk. The PBX gets REFER (Refer-To the number at
// the trunk, Referred-By 1001) instead of a new INVITE; after its NOTIFY
// sipfrag 200 our leg says BYE and ends "transferred".
func TestReferToTrunk(t *testing.T) {
	calls, browser, peer, d, leg := referOutSetup(t, "refer-out-ok")
	start := time.Now()
	go func() { _ = calls.Transfer(leg.callID, browser, "0123") }()
	refer, ok := peer.await("REFER ", 5*time.Second)
	if !ok {
		t.Fatal("no REFER reached the PBX")
	}
	if !strings.Contains(refer, "Refer-To: <sip:0123@127.0.0.2:5099") || !strings.Contains(refer, "Referred-By: <sip:1001@") {
		t.Errorf("REFER headers wrong:\n%s", refer)
	}
	peer.send(t, answerTo(refer, "202 Accepted"))
	sipfrag := "Event: refer\r\nSubscription-State: terminated;reason=noresource\r\nContent-Type: message/sipfrag;version=2.0\r\n"
	if line := d.request(t, "NOTIFY", sipfrag, "SIP/2.0 200 OK\r\n"); !strings.Contains(line, " 200 ") {
		t.Fatalf("NOTIFY answered %q", strings.SplitN(line, "\n", 2)[0])
	}
	bye, ok := peer.await("BYE ", 5*time.Second)
	if !ok || !strings.Contains(bye, "refer-out-ok") {
		t.Fatal("no BYE after the NOTIFY 200")
	}
	peer.send(t, okTo(bye))
	t.Logf("transfer → REFER → NOTIFY 200 → BYE in %s", time.Since(start).Round(time.Millisecond))
	waitFor(t, browser.Done(), 5*time.Second, "1001 left the call")
	waitFor(t, leg.Done(), 5*time.Second, "our leg ended")
	if r := leg.EndReason(); r != sfu.ReasonTransferred {
		t.Errorf("our leg ended %v, want %v", r, sfu.ReasonTransferred)
	}
}

// TestReferToTrunkFallback: the PBX refuses the REFER (603); the transfer
// goes on the usual way, an INVITE to 0123 through the trunk.
func TestReferToTrunkFallback(t *testing.T) {
	calls, browser, peer, _, leg := referOutSetup(t, "refer-out-603")
	go func() { _ = calls.Transfer(leg.callID, browser, "0123") }()
	refer, ok := peer.await("REFER ", 5*time.Second)
	if !ok {
		t.Fatal("no REFER reached the PBX")
	}
	peer.send(t, answerTo(refer, "603 Decline"))
	inv, ok := peer.await("INVITE sip:0123@", 5*time.Second)
	if !ok {
		t.Fatal("no re-routing INVITE after the refused REFER")
	}
	peer.send(t, answerTo(inv, "486 Busy Here"))
	bye, ok := peer.await("BYE ", 5*time.Second)
	if !ok || !strings.Contains(bye, "refer-out-603") {
		t.Fatal("the caller's leg was not hung up after the failed transfer")
	}
	peer.send(t, okTo(bye))
}
