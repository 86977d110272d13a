package siptrunk

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"xphone/configs"
	"xphone/internal/testpeers"
	"xphone/sfu"
)

// TestOutboundRejectedByBaresip: baresip's user rejects our ringing call;
// the reason reaches call control readably, and CANCEL and BYE paths
// leave no dialog behind.
func TestOutboundRejectedByBaresip(t *testing.T) {
	b := startBaresip(t, "<sip:0400@127.0.0.2:5070>;regint=0;answermode=manual;mediaenc=dtls_srtp;medianat=ice;audio_codecs=pcmu")
	tr := newTestTrunk(t, configs.Trunk{Codecs: []string{"pcmu"}}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rang := make(chan struct{}, 1)
	go func() {
		<-rang
		b.WaitEvent(t, "CALL_INCOMING", 5*time.Second)
		b.Command(t, "hangup", "")
	}()
	_, err := tr.Dial(ctx, sfu.DialRequest{From: sfu.Identity{Number: "1001"}, Origin: sfu.ExtensionOrigin("1001"), To: "0400",
		Ringing: func() { rang <- struct{}{} }})
	t.Logf("baresip rejects: %v → reason %q", err, sfu.ReasonFor(err))
	if !errors.Is(err, sfu.ErrBusy) && !errors.Is(err, sfu.ErrDeclined) {
		t.Errorf("rejection surfaced as %v (%s), want busy or declined", err, sfu.ReasonFor(err))
	}
	if tr.liveLegs() != 0 {
		t.Errorf("%d dialogs left after a rejected call", tr.liveLegs())
	}
}

// TestInboundBusy: the extension is busy → baresip is told 486 Busy Here.
func TestInboundBusy(t *testing.T) {
	b, _ := inboundSetup(t, &fakeExtension{number: "1001", err: sfu.ErrBusy, ring: 100 * time.Millisecond})
	b.Command(t, "dial", "sip:4930@"+ourSIP)
	e := b.WaitEvent(t, "CALL_CLOSED", 10*time.Second)
	t.Logf("baresip: %s", testpeers.Param(e))
	if p := testpeers.Param(e); !strings.Contains(p, "486") {
		t.Errorf("CALL_CLOSED param = %q, want 486", p)
	}
}

// TestOutboundCancelToBaresip: our caller gives up while baresip rings →
// CANCEL; baresip's call closes and no dialog is left.
func TestOutboundCancelToBaresip(t *testing.T) {
	b := startBaresip(t, "<sip:0400@127.0.0.2:5070>;regint=0;answermode=manual;mediaenc=dtls_srtp;medianat=ice;audio_codecs=pcmu")
	tr := newTestTrunk(t, configs.Trunk{Codecs: []string{"pcmu"}}, nil)
	ctx, cancel := context.WithCancelCause(context.Background())
	go func() {
		b.WaitEvent(t, "CALL_INCOMING", 5*time.Second)
		cancel(sfu.ErrCancelled)
	}()
	_, err := tr.Dial(ctx, sfu.DialRequest{From: sfu.Identity{Number: "1001"}, Origin: sfu.ExtensionOrigin("1001"), To: "0400"})
	if !errors.Is(err, sfu.ErrCancelled) {
		t.Errorf("Dial = %v, want cancelled", err)
	}
	e := b.WaitEvent(t, "CALL_CLOSED", 5*time.Second)
	t.Logf("baresip: %s", testpeers.Param(e))
	if tr.liveLegs() != 0 {
		t.Errorf("%d dialogs left after CANCEL", tr.liveLegs())
	}
}
