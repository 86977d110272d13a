package e2e

import (
	"fmt"
	"regexp"
	"testing"
	"time"
)

// Scenarios about what differs between browsers: simulcast layers from and
// to Firefox ESR, and media a browser offers that the server cannot use.

// tileWidthJS is the decoded width of the video in label's tile (0 when
// none plays).
func tileWidthJS(label string) string {
	return fmt.Sprintf(`(() => { const t = document.querySelector('[aria-label=%s]');
	  const v = t && t.querySelector('video'); return v && !v.paused ? v.videoWidth : 0; })()`, js(label))
}

// waitTileWidth waits until label's tile plays video whose decoded width
// satisfies ok, and returns the width.
func (m *member) waitTileWidth(label, what string, ok func(int) bool, timeout time.Duration) int {
	m.t.Helper()
	deadline := time.Now().Add(timeout)
	var w int
	for {
		m.eval(tileWidthJS(label), &w)
		if ok(w) {
			m.t.Logf("%s: %s's video is %d px wide (%s)", m.ext, label, w, what)
			return w
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("%s: %s's video is %d px wide after %v, want %s\npage: %s", m.ext, label, w, timeout, what, m.describe())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// lowLayer and highLayer tell the simulcast layers of a 1280×720 camera
// apart by decoded width: q is a quarter (320), h half (640), f full.
func lowLayer(w int) bool  { return w > 0 && w <= 320 }
func highLayer(w int) bool { return w >= 640 }

// TestSimulcastLayerSwitches: in room 800 a Firefox publisher (Alice, a
// 1280×720 camera, three layers) and a Chromium one (Bob, its fake camera
// at 1280×720) are watched by each other and by Carol in Firefox. The
// dominant speaker's video arrives in a high layer and the other's in the
// low one; when the speaker changes, both switch: Firefox's layers as
// Chromium and Firefox watch them, Chromium's as Firefox watches them.
func TestSimulcastLayerSwitches(t *testing.T) {
	srv := startServer(t, serverOptions{})
	dir := t.TempDir()
	alice := newMember(t, dir, "1001", "Alice", 440, camRed, inFirefox(), withCameraSize(camRed, 1280, 720))
	bob := newMember(t, dir, "1002", "Bob", 660, camGreen, withBrowserCamera())
	carol := newMember(t, dir, "1003", "Carol", 0, camBlue, inFirefox())
	for _, m := range []*member{alice, bob, carol} {
		m.login(srv, m.ext)
	}
	const title = "800 · Board"
	carol.joinRoom("800", title, true, false)
	bob.joinRoom("800", title, true, true) // Bob starts muted: Alice speaks
	alice.joinRoom("800", title, true, false)
	carol.waitFramed("Participant 1001", 0, 5*time.Second)

	carol.waitTileWidth("Participant 1001", "Firefox speaker, high layer", highLayer, 20*time.Second)
	bob.waitTileWidth("Participant 1001", "Firefox speaker, high layer", highLayer, 20*time.Second)
	carol.waitTileWidth("Participant 1002", "Chromium non-speaker, low layer", lowLayer, 20*time.Second)

	alice.setMic(true)
	unmuteAt := bob.setMic(false)
	carol.waitFramed("Participant 1002", unmuteAt, 5*time.Second)
	carol.waitTileWidth("Participant 1002", "Chromium speaker, high layer", highLayer, 20*time.Second)
	carol.waitTileWidth("Participant 1001", "Firefox non-speaker, low layer", lowLayer, 20*time.Second)
	bob.waitTileWidth("Participant 1001", "Firefox non-speaker, low layer", lowLayer, 20*time.Second)
	carol.requireMediaFlowing(true, mediaTimeout) // Carol hears the mix and decodes video
}

// noVP8JS makes the page's video transceivers offer every codec but VP8
// and H.264 (with setCodecPreferences), as a browser without a codec the
// server forwards would.
const noVP8JS = `(() => {
  const Orig = window.RTCPeerConnection;
  if (!Orig || !Orig.prototype.addTransceiver) return;
  const add = Orig.prototype.addTransceiver;
  Orig.prototype.addTransceiver = function (...args) {
    const tr = add.apply(this, args);
    const kind = typeof args[0] === 'string' ? args[0] : args[0] && args[0].kind;
    const caps = window.RTCRtpReceiver && RTCRtpReceiver.getCapabilities && RTCRtpReceiver.getCapabilities('video');
    if (kind === 'video' && tr.setCodecPreferences && caps) {
      tr.setCodecPreferences(caps.codecs.filter((c) => !/vp8|h264/i.test(c.mimeType)));
    }
    return tr;
  };
})();`

// TestUnusableVideoIsExplained: a Firefox user whose browser offers no VP8
// video calls a Chromium user with video: the call connects with audio both
// ways, Firefox's user is told why the video is not used, and the other
// side shows the caller's avatar, not a black picture.
func TestUnusableVideoIsExplained(t *testing.T) {
	srv := startServer(t, serverOptions{})
	a := newBrowser(t, "1001", inFirefox())
	a.addScript(noVP8JS)
	b := newBrowser(t, "1002")
	a.login(srv, "1001")
	b.login(srv, "1002")
	var prefs bool
	a.eval(`typeof RTCRtpTransceiver !== 'undefined' && 'setCodecPreferences' in RTCRtpTransceiver.prototype`, &prefs)
	if !prefs {
		t.Fatal("this Firefox has no RTCRtpTransceiver.setCodecPreferences; the test cannot take VP8 away")
	}
	connectCall(t, a, b, "1001", "Alice", "1002", "Bob", true, true)
	a.waitText("note", regexp.MustCompile(`^Your browser's video could not be used: Xphone forwards VP8 or H.264 video, and the browser offered only .+`), signalTimeout)
	t.Logf("1001 is told: %s", a.text("note"))
	a.requireMediaFlowing(false, mediaTimeout)
	b.requireMediaFlowing(false, mediaTimeout)
	b.waitUntil("1002 shows 1001's avatar instead of a picture", signalTimeout,
		`(() => { const m = document.getElementById('media'); const av = document.getElementById('peer-avatar');
		  return m.classList.contains('no-remote-video') && window.__xpt.isVisible(av); })()`)
	if b.text("note") != "" {
		t.Fatalf("1002's browser offered VP8, yet is told %q", b.text("note"))
	}
	a.click("button", "Hang up")
	b.waitUntil("1002 idle", signalTimeout, idle())
	a.waitUntil("1001 idle, the note gone", signalTimeout, idle()+" && "+roleText("note")+" === ''")
}
