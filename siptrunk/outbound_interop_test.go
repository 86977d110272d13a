package siptrunk

import (
	"context"
	"testing"
	"time"

	"xphone/configs"
	"xphone/internal/testpeers"
	"xphone/sfu"
	"xphone/sfu/sfutest"
)

// TestOutboundDTLSICEPCMU: a fake browser calls baresip through the trunk
// with ICE + DTLS-SRTP and PCMU; tones flow both ways; BYE from our side.
func TestOutboundDTLSICEPCMU(t *testing.T) {
	b := startBaresip(t, "<sip:0200@127.0.0.2:5070>;regint=0;answermode=auto;mediaenc=dtls_srtp;medianat=ice;audio_codecs=pcmu")
	tr := newTestTrunk(t, configs.Trunk{Codecs: []string{"pcmu"}}, nil)
	api := testMediaAPI(t)
	client, leg := browserLeg(t, api, "1001")
	calls := sfu.NewCalls(sfu.CallsConfig{NoAnswerTimeout: 15 * time.Second}, testLogger(), tr)
	t.Cleanup(calls.Close)

	obs := newObserver()
	start := time.Now()
	if _, err := calls.Place(sfu.PlaceRequest{Caller: leg, To: "0200", Observer: obs}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, obs.connected, 15*time.Second, "connected")
	t.Logf("call setup (Place → Connected): %s", time.Since(start))
	b.WaitEvent(t, "CALL_ESTABLISHED", 5*time.Second)
	must(t, client.StartTone(1000, 16000))
	client.Listen()
	time.Sleep(3 * time.Second)
	heard := client.Heard(time.Second)
	db := testpeers.ToneDB(heard, 48000, 440)
	t.Logf("our side hears baresip's 440 Hz tone at %.1f dBFS (%d samples)", db, len(heard))
	if db < -30 {
		t.Errorf("baresip's tone too weak on our side: %.1f dB", db)
	}
	checkDTMF(t, b, client, leg)
	_ = leg.Hangup(context.Background(), sfu.ReasonHangup)
	b.WaitEvent(t, "CALL_CLOSED", 5*time.Second)
	b.CheckRecording(t, 1000, -30)
	if t.Failed() {
		t.Logf("baresip output:\n%s", b.Output())
	}
}

// checkDTMF presses 5 in the browser (RFC 4733 → baresip) and 7 on
// baresip's console (RFC 4733 → the browser's leg).
func checkDTMF(t *testing.T, b *testpeers.Baresip, client *sfutest.Client, leg *sfu.WebRTCLeg) {
	t.Helper()
	got := make(chan rune, 4)
	leg.SetDTMFSink(func(d rune) { got <- d })
	must(t, client.SendDTMF('5'))
	e := b.WaitEvent(t, "CALL_DTMF_START", 5*time.Second)
	if p := testpeers.Param(e); p != "5" {
		t.Errorf("baresip got DTMF %q, want 5", p)
	}
	b.PressKeys(t, "7")
	select {
	case d := <-got:
		if d != '7' {
			t.Errorf("browser got DTMF %q, want 7", d)
		}
	case <-time.After(5 * time.Second):
		t.Error("baresip's DTMF 7 did not reach the browser")
	}
}

// TestCloseEndsCallsWithReason: closing the trunk (as a reload that
// removes it does) sends BYE to the peer and ends our side of the call
// with the reason given.
func TestCloseEndsCallsWithReason(t *testing.T) {
	b := startBaresip(t, "<sip:0200@127.0.0.2:5070>;regint=0;answermode=auto;mediaenc=dtls_srtp;medianat=ice;audio_codecs=pcmu")
	tr := newTestTrunk(t, configs.Trunk{Codecs: []string{"pcmu"}}, nil)
	_, leg := browserLeg(t, testMediaAPI(t), "1001")
	calls := sfu.NewCalls(sfu.CallsConfig{NoAnswerTimeout: 15 * time.Second}, testLogger(), tr)
	t.Cleanup(calls.Close)
	obs := newObserver()
	if _, err := calls.Place(sfu.PlaceRequest{Caller: leg, To: "0200", Observer: obs}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, obs.connected, 15*time.Second, "connected")
	b.WaitEvent(t, "CALL_ESTABLISHED", 5*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	must(t, tr.CloseWithReason(ctx, sfu.ReasonTrunkUnavailable))
	b.WaitEvent(t, "CALL_CLOSED", 5*time.Second)
	select {
	case <-leg.Done():
		if r := leg.EndReason(); r != sfu.ReasonTrunkUnavailable {
			t.Errorf("browser leg ended with %q, want %q", r, sfu.ReasonTrunkUnavailable)
		}
	case <-time.After(5 * time.Second):
		t.Error("browser leg still up after its trunk closed")
	}
}
