package siptrunk

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"xphone/configs"
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
	b.waitEvent(t, "CALL_ESTABLISHED", 5*time.Second)
	must(t, client.StartTone(1000, 16000))
	client.Listen()
	time.Sleep(3 * time.Second)
	heard := client.Heard(time.Second)
	db := toneDB(heard, 48000, 440)
	t.Logf("our side hears baresip's 440 Hz tone at %.1f dBFS (%d samples)", db, len(heard))
	if db < -30 {
		t.Errorf("baresip's tone too weak on our side: %.1f dB", db)
	}
	checkDTMF(t, b, client, leg)
	_ = leg.Hangup(context.Background(), sfu.ReasonHangup)
	b.waitEvent(t, "CALL_CLOSED", 5*time.Second)
	checkRecording(t, b, 1000)
	if t.Failed() {
		t.Logf("baresip output:\n%s", b.output())
	}
}

// checkRecording asserts our tone is in baresip's decoded-audio file.
// checkRecording waits (baresip may still be closing the file) for a
// decoded recording of at least a second and checks our tone is in it.
func checkRecording(t *testing.T, b *baresip, freq float64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		files, best := b.recordings(), recordingTone(t, b, freq)
		if best >= -30 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("our %.0f Hz tone not in baresip's recordings %v (best %.1f dB)", freq, files, best)
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// recordingTone is the strongest level of freq over the last second of
// baresip's decoded recordings, -200 if none is a second long yet.
func recordingTone(t *testing.T, b *baresip, freq float64) float64 {
	t.Helper()
	best := -200.0
	for _, f := range b.recordings() {
		if !strings.HasSuffix(f, "-dec.wav") {
			continue
		}
		pcm, rate, err := readWAV(f)
		if err != nil || len(pcm) < rate {
			continue
		}
		db := toneDB(pcm[len(pcm)-rate:], rate, freq)
		t.Logf("baresip recording %s: %d samples at %d Hz, %.0f Hz tone at %.1f dBFS", f, len(pcm), rate, freq, db)
		best = max(best, db)
	}
	return best
}

// checkDTMF presses 5 in the browser (RFC 4733 → baresip) and 7 on
// baresip's console (RFC 4733 → the browser's leg).
func checkDTMF(t *testing.T, b *baresip, client *sfutest.Client, leg *sfu.WebRTCLeg) {
	t.Helper()
	got := make(chan rune, 4)
	leg.SetDTMFSink(func(d rune) { got <- d })
	must(t, client.SendDTMF('5'))
	e := b.waitEvent(t, "CALL_DTMF_START", 5*time.Second)
	if p := toString(e["param"]); p != "5" {
		t.Errorf("baresip got DTMF %q, want 5", p)
	}
	conn, err := net.Dial("udp", "127.0.0.1:5555")
	must(t, err)
	defer conn.Close()
	_, err = conn.Write([]byte("7\x04"))
	must(t, err)
	select {
	case d := <-got:
		if d != '7' {
			t.Errorf("browser got DTMF %q, want 7", d)
		}
	case <-time.After(5 * time.Second):
		t.Error("baresip's DTMF 7 did not reach the browser")
	}
}
