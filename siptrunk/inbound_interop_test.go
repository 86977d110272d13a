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

// fakeExtension is a Dialer for one extension: it rings, then answers
// with a prepared browser leg, refuses with err, or rings until cancelled.
type fakeExtension struct {
	number string
	leg    sfu.Leg
	err    error
	hold   bool // ring until ctx ends
	ring   time.Duration
}

func (f *fakeExtension) Reaches(n string) bool { return n == f.number }

func (f *fakeExtension) Dial(ctx context.Context, req sfu.DialRequest) (sfu.Leg, error) {
	req.Ringing()
	select {
	case <-time.After(f.ring):
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
	if f.hold {
		<-ctx.Done()
		return nil, context.Cause(ctx)
	}
	if f.err != nil {
		return nil, f.err
	}
	return f.leg, nil
}

const callerAccount = "<sip:0300@127.0.0.2:5070>;regint=0;mediaenc=dtls_srtp;medianat=ice;audio_codecs=pcmu"

// inboundSetup starts baresip and a trunk whose inbound calls reach ext.
func inboundSetup(t *testing.T, ext *fakeExtension) (*testpeers.Baresip, *Trunk) {
	t.Helper()
	b := startBaresip(t, callerAccount)
	calls := sfu.NewCalls(sfu.CallsConfig{NoAnswerTimeout: 15 * time.Second}, testLogger(), ext)
	tr := newTestTrunk(t, configs.Trunk{Codecs: []string{"pcmu"}, Inbound: map[string]string{"4930": "1001"}}, calls)
	t.Cleanup(calls.Close) // runs before the trunk closes
	return b, tr
}

// TestInboundDTLSICEPCMU: baresip calls an extension through the trunk;
// ringing, answer, media both ways, BYE from baresip.
func TestInboundDTLSICEPCMU(t *testing.T) {
	api := testMediaAPI(t)
	client, leg := browserLeg(t, api, "1001")
	ext := &fakeExtension{number: "1001", leg: leg, ring: 300 * time.Millisecond}
	b, tr := inboundSetup(t, ext)
	start := time.Now()
	b.Command(t, "dial", "sip:4930@"+ourSIP)
	b.WaitEvent(t, "CALL_RINGING", 5*time.Second)
	b.WaitEvent(t, "CALL_ESTABLISHED", 10*time.Second)
	t.Logf("inbound setup (dial → established, incl. 300 ms ringing): %s", time.Since(start))
	must(t, client.StartTone(1000, 16000))
	client.Listen()
	time.Sleep(3 * time.Second)
	db := testpeers.ToneDB(client.Heard(time.Second), 48000, 440)
	t.Logf("extension hears baresip's 440 Hz tone at %.1f dBFS", db)
	if db < -30 {
		t.Errorf("baresip's tone too weak at the extension: %.1f dB", db)
	}
	checkPeerHold(t, b, tr, client)
	b.Command(t, "hangup", "")
	b.WaitEvent(t, "CALL_CLOSED", 5*time.Second)
	select {
	case <-leg.Done():
	case <-time.After(5 * time.Second):
		t.Error("extension leg not ended after baresip's BYE")
	}
	if got := tr.Stats.Inbound.Load(); got != 1 {
		t.Errorf("inbound calls = %d, want 1", got)
	}
	b.CheckRecording(t, 1000, -30)
}

// TestInboundDecline: the extension declines → baresip sees 603.
func TestInboundDecline(t *testing.T) {
	b, _ := inboundSetup(t, &fakeExtension{number: "1001", err: sfu.ErrDeclined, ring: 200 * time.Millisecond})
	b.Command(t, "dial", "sip:4930@"+ourSIP)
	b.WaitEvent(t, "CALL_RINGING", 5*time.Second)
	e := b.WaitEvent(t, "CALL_CLOSED", 10*time.Second)
	if p := testpeers.Param(e); !strings.Contains(strings.ToLower(p), "603") {
		t.Errorf("CALL_CLOSED param = %v, want 603", p)
	}
}

// TestInboundCancel: baresip hangs up while ringing → CANCEL stops the
// extension's ringing.
func TestInboundCancel(t *testing.T) {
	ext := &fakeExtension{number: "1001", hold: true}
	b, tr := inboundSetup(t, ext)
	b.Command(t, "dial", "sip:4930@"+ourSIP)
	b.WaitEvent(t, "CALL_RINGING", 5*time.Second)
	b.Command(t, "hangup", "")
	b.WaitEvent(t, "CALL_CLOSED", 5*time.Second)
	deadline := time.Now().Add(5 * time.Second)
	for tr.liveLegs() > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := tr.liveLegs(); n != 0 {
		t.Errorf("%d SIP legs still live after CANCEL", n)
	}
}

// checkPeerHold: baresip holds (re-INVITE sendonly) and resumes; both are
// answered in-dialog, the call survives and baresip's tone returns.
func checkPeerHold(t *testing.T, b *testpeers.Baresip, tr *Trunk, client *sfutest.Client) {
	t.Helper()
	b.Command(t, "hold", "")
	deadline := time.Now().Add(5 * time.Second)
	for tr.Stats.ReInvites.Load() < 1 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	b.Command(t, "resume", "")
	for tr.Stats.ReInvites.Load() < 2 && time.Now().Before(deadline.Add(5*time.Second)) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := tr.Stats.ReInvites.Load(); n < 2 {
		t.Errorf("re-INVITEs answered = %d, want 2 (hold, resume)\n%v", n, b.EventTypes())
	}
	time.Sleep(1500 * time.Millisecond)
	db := testpeers.ToneDB(client.Heard(time.Second), 48000, 440)
	t.Logf("after hold/resume the extension hears baresip at %.1f dBFS", db)
	if db < -30 {
		t.Errorf("no audio after resume: %.1f dB", db)
	}
	if b.FindEvent("CALL_CLOSED") != nil {
		t.Error("call closed by hold/resume")
	}
}
