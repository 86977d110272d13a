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

// TestReferToTrunkBaresip: baresip's 0300 calls extension 1001, whose user
// transfers it to 0200, a number on the same trunk (baresip's second
// account). With refer_to_trunk we send no INVITE: baresip gets our
// REFER, its menu dials 0200 itself and NOTIFYs 200, we hang up our leg,
// and 0200 hears 0300's tone on a call that no longer passes through us.
func TestReferToTrunkBaresip(t *testing.T) {
	// Plain RTP accounts: baresip drops DTLS-SRTP media after the ICE
	// re-INVITE between its own two accounts (see docs, Tests).
	b := startBaresip(t, "<sip:0300@127.0.0.2:5070>;regint=0;audio_codecs=pcmu",
		"<sip:0200@127.0.0.2:5070>;regint=0;answermode=auto;audio_codecs=pcmu")
	_, browser := browserLeg(t, testMediaAPI(t), "1001")
	tr, calls := placedTrunkPerm(t, configs.Trunk{ReferToTrunk: true, Media: "rtp"}, &fakeExtension{number: "1001", leg: browser},
		func(string) string { return "national" })
	b.Command(t, "dial", "sip:4930@"+ourSIP)
	b.WaitEvent(t, "CALL_ESTABLISHED", 10*time.Second)
	sipLeg := onlyLeg(t, tr)
	start := time.Now()
	go func() { _ = calls.Transfer(sipLeg.callID, browser, "0200") }()
	waitFor(t, sipLeg.Done(), 15*time.Second, "our leg handed over and ended")
	t.Logf("transfer → REFER → NOTIFY 200 → our BYE: %s", time.Since(start).Round(time.Millisecond))
	if r := sipLeg.EndReason(); r != sfu.ReasonTransferred {
		t.Errorf("our leg ended %v, want %v", r, sfu.ReasonTransferred)
	}
	if n := tr.Stats.Invites.Load(); n != 0 {
		t.Errorf("%d INVITEs from us, want 0 (the PBX dials)", n)
	}
	waitUntil(t, 10*time.Second, "0200 answered baresip's own call", func() bool { return len(b.Events("CALL_ESTABLISHED")) >= 3 })
	// 440 Hz is baresip's own tone (our browser sends none), so it can
	// only be in a recording of baresip's call to itself.
	db := recordedTone(b, 440)
	t.Logf("0200 hears 0300's tone at %.1f dBFS after the REFER", db)
	if db < -30 {
		t.Errorf("0300 not heard at 0200 after the REFER: %.1f dB; baresip events %v", db, b.EventTypes())
	}
}
