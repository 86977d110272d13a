package siptrunk

import (
	"strings"
	"testing"
	"time"

	"xphone/configs"
	"xphone/internal/testpeers"
	"xphone/sfu"
	"xphone/sfu/sfutest"
)

// outboundCall connects a fake browser (1001, sending a 1000 Hz tone) to
// baresip account 0200 through a trunk configured with tc.
func outboundCall(t *testing.T, tc configs.Trunk) (*testpeers.Baresip, *Trunk, *sfu.Calls, string, *sfutest.Client, *sfu.WebRTCLeg) {
	t.Helper()
	b := startBaresip(t, "<sip:0200@127.0.0.2:5070>;regint=0;answermode=auto;mediaenc=dtls_srtp;medianat=ice;audio_codecs=pcmu",
		"<sip:0300@127.0.0.2:5070>;regint=0;answermode=auto;mediaenc=dtls_srtp;medianat=ice;audio_codecs=pcmu")
	tc.Codecs = []string{"pcmu"}
	tr := newTestTrunk(t, tc, nil)
	api := testMediaAPI(t)
	client, leg := browserLeg(t, api, "1001")
	calls := sfu.NewCalls(sfu.CallsConfig{NoAnswerTimeout: 15 * time.Second}, testLogger(), tr)
	t.Cleanup(calls.Close)
	obs := newObserver()
	start := time.Now()
	id, err := calls.Place(sfu.PlaceRequest{Caller: leg, To: "0200", Observer: obs})
	must(t, err)
	waitFor(t, obs.connected, 15*time.Second, "connected")
	t.Logf("call setup (Place → Connected): %s", time.Since(start))
	b.WaitEvent(t, "CALL_ESTABLISHED", 5*time.Second)
	must(t, client.StartTone(1000, 16000))
	client.Listen()
	return b, tr, calls, id, client, leg
}

// decoded is what baresip decoded from us so far (its one call's
// recording) and the rate.
func decoded(t *testing.T, b *testpeers.Baresip) ([]int16, int) {
	t.Helper()
	for _, f := range b.Recordings() {
		if strings.HasSuffix(f, "-dec.wav") {
			pcm, rate, err := testpeers.ReadWAV(f)
			if err == nil {
				return pcm, rate
			}
		}
	}
	return nil, 8000
}

// newestDecoded is baresip's decoded recording of its latest call.
func newestDecoded(t *testing.T, b *testpeers.Baresip) ([]int16, int) {
	t.Helper()
	last := ""
	for _, f := range b.Recordings() {
		if strings.HasSuffix(f, "-dec.wav") && f > last {
			last = f
		}
	}
	if last == "" {
		return nil, 8000
	}
	pcm, rate, err := testpeers.ReadWAV(last)
	if err != nil {
		t.Logf("reading %s: %v", last, err)
	}
	return pcm, rate
}

// remoteOffers counts re-offers baresip received (CALL_REMOTE_SDP offer).
func remoteOffers(b *testpeers.Baresip) int {
	n := 0
	for _, e := range b.Events("CALL_REMOTE_SDP") {
		if testpeers.Param(e) == "offer" {
			n++
		}
	}
	return n
}

func waitUntil(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// rtcpSent is how many packets baresip's last RTCP report says we sent.
func rtcpSent(b *testpeers.Baresip) float64 {
	ev := b.Events("CALL_RTCP")
	if len(ev) == 0 {
		return 0
	}
	st, _ := ev[len(ev)-1]["rtcp_stats"].(map[string]any)
	rx, _ := st["rx"].(map[string]any)
	n, _ := rx["sent"].(float64)
	return n
}

// onlyLeg is the trunk's one SIP leg.
func onlyLeg(t *testing.T, tr *Trunk) *Leg {
	t.Helper()
	tr.mu.Lock()
	defer tr.mu.Unlock()
	for _, l := range tr.legs {
		return l
	}
	t.Fatal("no SIP leg")
	return nil
}

// checkOurHold: our user holds, baresip gets a re-INVITE a=sendonly and
// answers recvonly, and we keep sending (music on hold) at 50 packets/s;
// resume re-INVITEs sendrecv.
//
// baresip 1.0 restarts its DTLS-SRTP stream on every re-INVITE and then
// drops what it receives ("starting mediaenc 'dtls_srtp' (wait_secure=1)"
// without a new handshake), so its decoded recording ends at the first
// re-INVITE: packet counts from its RTCP are what we can observe there.
func checkOurHold(t *testing.T, b *testpeers.Baresip, tr *Trunk, calls *sfu.Calls, id string, leg sfu.Leg) {
	t.Helper()
	sip := onlyLeg(t, tr)
	offers := remoteOffers(b)
	holdAt := time.Now()
	must(t, calls.Hold(id, leg, true))
	waitUntil(t, 5*time.Second, "hold re-INVITE at baresip", func() bool { return remoteOffers(b) > offers })
	waitUntil(t, 5*time.Second, "baresip's answer", func() bool { d, _ := sip.peerDir.Load().(string); return d != "" })
	t.Logf("hold re-INVITE (a=%v) answered a=%v after %s", sip.ourDir.Load(), sip.peerDir.Load(), time.Since(holdAt))
	if sip.ourDir.Load() != "sendonly" || sip.peerDir.Load() != "recvonly" {
		t.Errorf("hold offered %v, answered %v; want sendonly/recvonly", sip.ourDir.Load(), sip.peerDir.Load())
	}
	time.Sleep(1200 * time.Millisecond)
	before, at := rtcpSent(b), time.Now()
	time.Sleep(2500 * time.Millisecond)
	rate := (rtcpSent(b) - before) / time.Since(at).Seconds()
	t.Logf("while held we send %.0f packets/s to baresip (music on hold)", rate)
	if rate < 30 {
		t.Errorf("media to the PBX stopped while held: %.0f packets/s", rate)
	}
	offers = remoteOffers(b)
	must(t, calls.Hold(id, leg, false))
	waitUntil(t, 5*time.Second, "resume re-INVITE at baresip", func() bool { return remoteOffers(b) > offers })
	waitUntil(t, 5*time.Second, "resume answer", func() bool { return sip.peerDir.Load() == "sendrecv" })
	if sip.ourDir.Load() != "sendrecv" {
		t.Errorf("resume offered %v, want sendrecv", sip.ourDir.Load())
	}
}

// TestDialogOurHoldAndInfoDTMF: on a trunk with dtmf: info our key press
// reaches baresip as SIP INFO; baresip decodes our tone; our user holds
// and resumes (checkOurHold); baresip hangs up and our side sees the BYE.
func TestDialogOurHoldAndInfoDTMF(t *testing.T) {
	b, tr, calls, id, client, leg := outboundCall(t, configs.Trunk{DTMF: "info"})
	must(t, client.SendDTMF('5'))
	e := b.WaitEvent(t, "CALL_DTMF_START", 5*time.Second)
	if p := testpeers.Param(e); p != "5" {
		t.Errorf("baresip got INFO DTMF %q, want 5", p)
	}
	if !strings.Contains(b.Output(), "received DTMF: '5'") {
		t.Errorf("baresip did not log the INFO DTMF:\n%s", b.Output())
	}
	time.Sleep(1500 * time.Millisecond)
	pcm, rate := decoded(t, b)
	db := testpeers.ToneDB(pcm, rate, 1000)
	t.Logf("baresip decoded our 1000 Hz tone at %.1f dBFS (%d samples)", db, len(pcm))
	if db < -30 {
		t.Errorf("our tone too weak at baresip: %.1f dB", db)
	}
	checkOurHold(t, b, tr, calls, id, leg)
	b.Command(t, "hangup", "")
	b.WaitEvent(t, "CALL_CLOSED", 5*time.Second)
	select {
	case <-leg.Done():
	case <-time.After(5 * time.Second):
		t.Error("browser leg still up after baresip's BYE")
	}
	if t.Failed() {
		t.Logf("baresip events: %v", b.EventTypes())
	}
}
