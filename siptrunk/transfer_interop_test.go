package siptrunk

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"xphone/configs"
	"xphone/internal/testpeers"
	"xphone/sfu"
)

// TestTransferByOurUser: baresip (0300) calls extension 1001, whose user
// blind-transfers the caller to the outside number 0200. With permission
// internal the transfer is refused (no INVITE, the call goes on); with
// national the trunk INVITEs 0200, the SIP leg moves to the new call and
// baresip's 0200 hears 0300's tone through us.
func TestTransferByOurUser(t *testing.T) {
	var perm atomic.Value
	perm.Store("internal")
	b := startBaresip(t, callerAccount, answerAccount)
	client, leg := browserLeg(t, testMediaAPI(t), "1001")
	tr, calls := placedTrunkPerm(t, configs.Trunk{}, &fakeExtension{number: "1001", leg: leg},
		func(string) string { return perm.Load().(string) })
	b.Command(t, "dial", "sip:4930@"+ourSIP)
	b.WaitEvent(t, "CALL_ESTABLISHED", 10*time.Second)
	_ = client
	sip := onlyLeg(t, tr)

	err := calls.Transfer(sip.callID, leg, "0200")
	if !errors.Is(err, sfu.ErrForbidden) {
		t.Errorf("transfer by an internal extension to 0200: %v, want forbidden", err)
	}
	time.Sleep(500 * time.Millisecond)
	if n := tr.Stats.Invites.Load(); n != 0 || b.FindEvent("CALL_CLOSED") != nil {
		t.Fatalf("forbidden transfer: %d INVITEs, events %v", n, b.EventTypes())
	}

	perm.Store("national")
	start := time.Now()
	must(t, calls.Transfer(sip.callID, leg, "0200"))
	waitUntil(t, 10*time.Second, "0200 answered", func() bool { return len(b.Events("CALL_ESTABLISHED")) >= 2 })
	t.Logf("transfer → target established: %s", time.Since(start))
	select {
	case <-leg.Done():
		if r := leg.EndReason(); r != sfu.ReasonTransferred {
			t.Errorf("transferor's leg ended with %s, want transferred", r)
		}
	case <-time.After(5 * time.Second):
		t.Error("transferor's leg still up")
	}
	if n := tr.Stats.Invites.Load(); n != 1 {
		t.Errorf("INVITEs = %d, want 1", n)
	}
	time.Sleep(2500 * time.Millisecond)
	if b.FindEvent("CALL_CLOSED") != nil {
		t.Errorf("a call closed during the transfer: %v", b.EventTypes())
	}
	pcm, rate := newestDecoded(t, b)
	db := testpeers.ToneDB(pcm[max(0, len(pcm)-rate):], rate, 440)
	t.Logf("0200 hears the transferred caller's tone at %.1f dBFS (%d samples)", db, len(pcm))
	if db < -30 {
		t.Errorf("transferred caller not heard at 0200: %.1f dB", db)
	}
}
