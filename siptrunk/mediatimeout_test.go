package siptrunk

import (
	"testing"
	"time"

	"xphone/configs"
	"xphone/internal/testpeers"
	"xphone/sfu"
	"xphone/siptrunk/sipmedia"
)

// TestMediaTimeoutBackToBack: browser 1001 calls 04930 through trunk A
// (media_timeout 1 s, plain RTP) to trunk B, which rings browser 2001.
// The tone really crosses; then B's media sockets die without a BYE (a
// crashed phone). While A holds the call the silence is expected and the
// call stays up; after resume A hangs up by BYE with "media failed", and
// B's leg ends on that BYE.
func TestMediaTimeoutBackToBack(t *testing.T) {
	off, short := configs.Duration(0), configs.Duration(time.Second)
	bb := connectBackToBack(t,
		configs.Trunk{Media: "rtp", Codecs: []string{"pcmu"}, MediaTimeout: &short},
		configs.Trunk{Media: "rtp", Codecs: []string{"pcmu"}, MediaTimeout: &off})
	clientA, clientB, trA, trB := bb.clientA, bb.clientB, bb.trA, bb.trB
	sipA, sipB := onlyLeg(t, trA), onlyLeg(t, trB)

	must(t, clientA.StartTone(1000, 16000))
	clientB.Listen()
	if d := waitHeard(clientB, 1000, 5*time.Second); d >= 5*time.Second {
		t.Fatal("1001's tone not heard at 2001 through the two trunks")
	}
	t.Logf("2001 hears 1001's 1 kHz tone at %.1f dBFS", testpeers.ToneDB(clientB.Heard(time.Second), 48000, 1000))
	sipA.HoldState("", false, true) // what call control does when 1001 holds
	waitUntil(t, 5*time.Second, "hold re-INVITE answered", func() bool { d, _ := sipA.ourDir.Load().(string); return d == "sendonly" })
	if !sipmedia.Sever(sipB.media) { // B's media dies; its dialog stays
		t.Fatal("B's media is no socket back-end")
	}
	select {
	case <-sipA.Done():
		t.Fatalf("call on hold ended after silence: %v", sipA.EndReason())
	case <-time.After(2500 * time.Millisecond):
	}
	sipA.HoldState("", false, false)
	resumed := time.Now()
	waitFor(t, sipA.Done(), 5*time.Second, "A hangs up the silent call")
	took := time.Since(resumed)
	t.Logf("BYE %s after resume (media_timeout 1 s)", took.Round(10*time.Millisecond))
	if r := sipA.EndReason(); r != sfu.ReasonMediaFailed {
		t.Errorf("A's leg ended with %v, want %v", r, sfu.ReasonMediaFailed)
	}
	// The watcher samples every timeout/8, so the silence it measures can
	// start up to one sample before the resume took effect.
	if took < time.Second-time.Second/8 {
		t.Errorf("BYE %s after resume: the timeout did not restart", took)
	}
	waitFor(t, sipB.Done(), 5*time.Second, "B's leg ended by the BYE")
}

// TestSilenceWatch: the media timeout counts only silence while media is
// expected: a new packet or a hold restarts it.
func TestSilenceWatch(t *testing.T) {
	t0 := time.Unix(1000, 0)
	s := &silenceWatch{timeout: time.Second, last: 5, since: t0}
	if s.expired(5, t0.Add(900*time.Millisecond), true) {
		t.Error("expired before the timeout")
	}
	if s.expired(6, t0.Add(1100*time.Millisecond), true) {
		t.Error("expired although a packet arrived")
	}
	if s.expired(6, t0.Add(2000*time.Millisecond), false) {
		t.Error("expired on hold")
	}
	if !s.expired(6, t0.Add(3000*time.Millisecond), true) {
		t.Error("not expired after a second of silence off hold")
	}
}
