package siptrunk

import (
	"context"
	"strings"
	"testing"
	"time"

	"xphone/configs"
	"xphone/internal/testpeers"
	"xphone/sfu"
	"xphone/sfu/sfutest"
)

// answerAccount is a baresip account that answers at once.
const answerAccount = "<sip:0200@127.0.0.2:5070>;regint=0;answermode=auto;mediaenc=dtls_srtp;medianat=ice;audio_codecs=pcmu"

// placedTrunk starts a trunk whose inbound calls go to calls, which
// routes extensions to ext and outside numbers back out through the trunk.
func placedTrunk(t *testing.T, tc configs.Trunk, ext sfu.Dialer) (*Trunk, *sfu.Calls) {
	t.Helper()
	return placedTrunkPerm(t, tc, ext, func(string) string { return "internal" })
}

// placedTrunkPerm is placedTrunk with extensions' permission classes from
// perm, and the server's transfer check (sfu Permit) wired as in
// internal/server. A transit rule lets the trunk's calls leave through it
// again (transfers and REFERs of its callers to outside numbers), so the
// permission classes decide.
func placedTrunkPerm(t *testing.T, tc configs.Trunk, ext sfu.Dialer, perm func(string) string) (*Trunk, *sfu.Calls) {
	t.Helper()
	tc.Name, tc.Listen, tc.Codecs = "pbx", ourSIP, []string{"pcmu"}
	if tc.Address == "" {
		tc.Address = baresipSIP
	}
	tc.Inbound = map[string]string{"4930": "1001"}
	tr, err := New(Config{Trunk: tc, MediaIP: ourIP,
		Dialplan:   []configs.DialRule{{Pattern: "0.", Trunk: "pbx", Permission: "national"}},
		Transit:    []configs.TransitRule{{From: "pbx", To: "pbx", Permission: "international"}},
		Permission: perm}, nil, testLogger())
	must(t, err)
	permit := func(req sfu.DialRequest) error {
		if !tr.Reaches(req.To) {
			return nil
		}
		_, err := tr.Allowed(req)
		return err
	}
	calls := sfu.NewCalls(sfu.CallsConfig{NoAnswerTimeout: 15 * time.Second, Permit: permit}, testLogger(), ext, tr)
	tr.SetPlacer(calls)
	must(t, tr.Start())
	t.Cleanup(func() {
		calls.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := tr.Close(ctx); err != nil {
			t.Errorf("trunk close: %v", err)
		}
	})
	return tr, calls
}

// inboundToBrowser: baresip (0300) calls 4930 → extension 1001, a fake
// browser sending a 1000 Hz tone; it returns once the call is up.
func inboundToBrowser(t *testing.T, tc configs.Trunk) (*testpeers.Baresip, *Trunk, *sfutest.Client, *sfu.WebRTCLeg) {
	t.Helper()
	b := startBaresip(t, callerAccount, answerAccount)
	client, leg := browserLeg(t, testMediaAPI(t), "1001")
	tr, _ := placedTrunk(t, tc, &fakeExtension{number: "1001", leg: leg})
	b.Command(t, "dial", "sip:4930@"+ourSIP)
	b.WaitEvent(t, "CALL_ESTABLISHED", 10*time.Second)
	must(t, client.StartTone(1000, 16000))
	client.Listen()
	return b, tr, client, leg
}

// TestReferForbidden: the trunk REFERs our party to an outside number but
// has no refer_permission: baresip gets 403 and no INVITE leaves. (baresip
// 1.0's menu hangs its call up after a failed transfer: that BYE is its own.)
func TestReferForbidden(t *testing.T) {
	b, tr, _, _ := inboundToBrowser(t, configs.Trunk{})
	b.Command(t, "transfer", "sip:0200@"+ourSIP)
	waitUntil(t, 5*time.Second, "the REFER refused", func() bool { return tr.Stats.RefersRefused.Load() == 1 })
	waitUntil(t, 5*time.Second, "baresip told 403", func() bool { return strings.Contains(b.Output(), "transfer failed: 403 Forbidden") })
	time.Sleep(time.Second)
	if n := tr.Stats.Invites.Load(); n != 0 {
		t.Errorf("%d INVITEs sent for a forbidden REFER", n)
	}
	if n := len(b.Events("CALL_INCOMING")); n != 0 {
		t.Errorf("baresip was called %d times after a forbidden REFER", n)
	}
}

// TestReferAllowed: with refer_permission national the trunk's REFER to
// 0200 is accepted (202, NOTIFY), our party is dialled to baresip's 0200
// through the trunk, the referrer's dialog ends and the browser hears the
// new call.
func TestReferAllowed(t *testing.T) {
	b, tr, client, leg := inboundToBrowser(t, configs.Trunk{ReferPermission: "national"})
	start := time.Now()
	b.Command(t, "transfer", "sip:0200@"+ourSIP)
	waitUntil(t, 10*time.Second, "the transfer target called", func() bool { return len(b.Events("CALL_ESTABLISHED")) >= 2 })
	t.Logf("REFER → target established: %s", time.Since(start))
	waitUntil(t, 5*time.Second, "the referrer's call closed", func() bool { return b.FindEvent("CALL_CLOSED") != nil })
	if n := tr.Stats.Invites.Load(); n != 1 {
		t.Errorf("INVITEs = %d, want 1 (to the REFER target)", n)
	}
	if n := tr.Stats.Refers.Load(); n != 1 {
		t.Errorf("REFERs carried out = %d, want 1", n)
	}
	time.Sleep(2500 * time.Millisecond)
	db := testpeers.ToneDB(client.Heard(time.Second), 48000, 440)
	t.Logf("after the REFER the browser hears the target's tone at %.1f dBFS", db)
	if db < -30 {
		t.Errorf("browser does not hear the transfer target: %.1f dB", db)
	}
	select {
	case <-leg.Done():
		t.Error("browser leg ended by the REFER")
	default:
	}
	if p := testpeers.Param(b.FindEvent("CALL_CLOSED")); !strings.Contains(p, "transfer") {
		t.Errorf("referrer's call closed with %q, want baresip's \"Call transfered\" (our NOTIFY 200)", p)
	}
	if t.Failed() {
		t.Logf("events %v\noutput:\n%s", b.EventTypes(), b.Output())
	}
}
