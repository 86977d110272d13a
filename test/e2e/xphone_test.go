package e2e

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Time limits of the call flows (generous for a loaded 2-core machine).
const (
	signalTimeout = 10 * time.Second // a signalling step shows up in the UI
	mediaTimeout  = 15 * time.Second // media starts flowing / counters grow
)

// passwords of the configured extensions (configTemplate).
var passwords = map[string]string{"1001": "pw1001", "1002": "pw1002", "1003": "pw1003", "1004": "pw1004"}

// login opens the UI, logs in as ext and waits until the socket is greeted.
func (b *browser) login(srv *testServer, ext string) {
	b.t.Helper()
	b.navigate(srv.URL)
	b.fill("Extension", ext)
	b.fill("Password", passwords[ext])
	b.click("button", "Log in")
	b.waitVisible("textbox", "Number", signalTimeout)
	b.waitUntil("signalling ready", signalTimeout, "window.xphone && window.xphone.state().ready")
}

// userTopRight is JavaScript that is true when ext is shown in the top right
// corner next to a green icon.
func userTopRight(ext string) string {
	return fmt.Sprintf(`(() => {
	  const hits = [...document.querySelectorAll('body *')].filter((e) =>
	    e.children.length === 0 && e.textContent.trim() === %s && window.__xpt.isVisible(e));
	  return hits.some((e) => {
	    const r = e.getBoundingClientRect();
	    if (r.left < innerWidth / 2 || r.bottom > 120) return false;
	    const svg = e.parentElement && e.parentElement.querySelector('svg');
	    if (!svg) return false;
	    const rgb = (getComputedStyle(svg).fill.match(/\d+/g) || []).map(Number);
	    return rgb.length >= 3 && rgb[1] > rgb[0] + 40 && rgb[1] > rgb[2] + 40;
	  });
	})()`, js(ext))
}

// idle is JavaScript that is true on the idle main screen: Number field and
// call buttons, no dialog, no timer, no Hang up.
func idle() string {
	return visible("textbox", "Number") + " && " + visible("button", "Audio call") +
		" && window.__xpt.names('dialog').length === 0 && window.__xpt.names('timer').length === 0" +
		" && !(" + visible("button", "Hang up") + ")"
}

// dial types number into the Number field and clicks a call button.
func (b *browser) dial(number string, video bool) {
	b.t.Helper()
	b.fill("Number", number)
	if video {
		b.click("button", "Video call")
	} else {
		b.click("button", "Audio call")
	}
}

// pressed returns the aria-pressed value of a toggle button.
func (b *browser) pressed(name string) string {
	b.t.Helper()
	var v string
	b.eval(fmt.Sprintf(`(window.__xpt.find('button', %s) || {getAttribute: () => 'missing'}).getAttribute('aria-pressed') || 'none'`, js(name)), &v)
	return v
}

// timerSeconds parses the visible role=timer text (m:ss or h:mm:ss).
func (b *browser) timerSeconds() int {
	b.t.Helper()
	text := b.text("timer")
	parts := strings.Split(text, ":")
	if len(parts) < 2 {
		b.t.Fatalf("%s: timer shows %q, want m:ss", b.name, text)
	}
	total := 0
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || (i > 0 && len(p) != 2) {
			b.t.Fatalf("%s: timer shows %q, want m:ss", b.name, text)
		}
		total = total*60 + n
	}
	return total
}

// requireTimerRuns reads the timer twice at least one second apart and
// requires it to advance.
func (b *browser) requireTimerRuns() {
	b.t.Helper()
	b.waitText("timer", regexp.MustCompile(`^\d+:\d\d$`), signalTimeout)
	first := b.timerSeconds()
	time.Sleep(1100 * time.Millisecond) // the gap between the two readings, not an assertion
	b.waitUntil("timer advancing", 3*time.Second,
		fmt.Sprintf(`(() => { const p = (%s).split(':').map(Number); return p.reduce((a, n) => a * 60 + n, 0) > %d; })()`,
			roleText("timer"), first))
}

// connectCall makes caller call callee (video or audio), has the callee accept
// (with video if acceptVideo) and waits until both are connected.
func connectCall(t *testing.T, caller, callee *browser, callerExt, callerName, calleeExt, calleeName string, video, acceptVideo bool) {
	t.Helper()
	caller.dial(calleeExt, video)
	caller.waitStatusSeen(regexp.MustCompile("^Dialing "+calleeExt+"…$"), signalTimeout)
	callee.waitUntil("incoming dialog", signalTimeout, "window.__xpt.names('dialog').length === 1")
	dialog := callee.text("dialog")
	if !strings.Contains(dialog, callerExt) || !strings.Contains(dialog, callerName) {
		t.Fatalf("incoming dialog shows %q, want the caller's number %s and name %s", dialog, callerExt, callerName)
	}
	caller.waitStatusSeen(regexp.MustCompile("^Ringing "+calleeExt+"…$"), signalTimeout)
	if acceptVideo {
		callee.click("button", "Accept Video")
	} else {
		callee.click("button", "Accept Audio")
	}
	caller.waitText("status", regexp.MustCompile("^Connected to "+calleeExt+" "+calleeName+"$"), signalTimeout)
	callee.waitText("status", regexp.MustCompile("^Connected to "+callerExt+" "+callerName+"$"), signalTimeout)
	callee.waitUntil("dialog closed", time.Second, "window.__xpt.names('dialog').length === 0")
}

// TestLoginLogout: wrong password → alert; right password → main screen with
// the extension top right; keypad; the session survives a reload; Logout
// ends it (F6, F7, F8). In both browsers.
func TestLoginLogout(t *testing.T) {
	for _, e := range engines {
		t.Run(string(e), func(t *testing.T) { loginLogout(t, e) })
	}
}

func loginLogout(t *testing.T, e engine) {
	srv := startServer(t, serverOptions{})
	a := newBrowser(t, "1001", inEngine(e))

	a.navigate(srv.URL)
	a.fill("Extension", "1001")
	a.fill("Password", "not-the-password")
	a.click("button", "Log in")
	a.waitText("alert", regexp.MustCompile(`Wrong extension or password`), signalTimeout)
	if a.isVisible("textbox", "Number") {
		t.Fatal("the main screen is shown after a wrong password")
	}

	a.fill("Password", "pw1001")
	a.click("button", "Log in")
	a.waitVisible("textbox", "Number", signalTimeout)
	a.waitUntil("1001 with a green icon top right", signalTimeout, userTopRight("1001"))
	for _, name := range []string{"Audio call", "Video call", "Keypad"} {
		a.waitVisible("button", name, time.Second)
	}

	// Keypad: toggles 0-9 * # which append to Number.
	if a.isVisible("button", "5") {
		t.Fatal("keypad digits are visible before Keypad was pressed")
	}
	a.click("button", "Keypad")
	for _, d := range []string{"1", "0", "0", "2", "*", "#"} {
		a.click("button", d)
	}
	for _, d := range []string{"3", "4", "5", "6", "7", "8", "9"} {
		a.waitVisible("button", d, time.Second)
	}
	var value string
	a.eval(`window.__xpt.find('textbox', 'Number').value`, &value)
	if value != "1002*#" {
		t.Fatalf("Number = %q after keypad 1 0 0 2 * #, want %q", value, "1002*#")
	}
	a.click("button", "Keypad")
	a.waitGone("button", "5", time.Second)

	// The session survives a reload.
	a.navigate(srv.URL)
	a.waitVisible("textbox", "Number", signalTimeout)

	// Logout shows on hover of the user area and ends the session.
	const logoutOpacity = `Number(getComputedStyle(window.__xpt.find('button', 'Logout')).opacity)`
	a.hoverText("Xphone") // away from the user area
	a.waitUntil("Logout hidden until hover", 2*time.Second, logoutOpacity+" < 0.1")
	a.hoverText("1001")
	a.waitUntil("Logout shown on hover", 2*time.Second, logoutOpacity+" > 0.9")
	a.click("button", "Logout")
	a.waitVisible("textbox", "Extension", signalTimeout)
	a.waitVisible("button", "Log in", time.Second)
	a.navigate(srv.URL)
	a.waitVisible("textbox", "Extension", signalTimeout)
	if a.isVisible("textbox", "Number") {
		t.Fatal("still logged in after Logout and a reload")
	}
}

// TestVideoCall: a full video call 1001 → 1002 with media checks, in-call
// toggles and hang-up (F10, F11, F13–F17), for every pair of browsers:
// Chromium and Firefox ESR calling each other both ways, and each itself.
func TestVideoCall(t *testing.T) {
	for _, pair := range enginePairs {
		t.Run(pairName(pair), func(t *testing.T) { videoCall(t, pair[0], pair[1]) })
	}
}

// videoCall is TestVideoCall with the caller in ea and the callee in eb.
func videoCall(t *testing.T, ea, eb engine) {
	srv := startServer(t, serverOptions{})
	a := newBrowser(t, "1001", inEngine(ea))
	b := newBrowser(t, "1002", inEngine(eb))
	a.login(srv, "1001")
	b.login(srv, "1002")

	a.dial("1002", true)
	a.waitStatusSeen(regexp.MustCompile("^Dialing 1002…$"), signalTimeout)
	b.waitUntil("incoming dialog", signalTimeout, "window.__xpt.names('dialog').length === 1")
	dialog := b.text("dialog")
	if !strings.Contains(dialog, "1001") || !strings.Contains(dialog, "Alice") {
		t.Fatalf("incoming dialog shows %q, want 1001 and Alice", dialog)
	}
	for _, name := range []string{"Accept Audio", "Accept Video", "Decline"} {
		b.waitVisible("button", name, time.Second)
	}
	a.waitStatusSeen(regexp.MustCompile("^Ringing 1002…$"), signalTimeout)
	if log := a.statusLog(); indexOf(log, "Dialing 1002…") > indexOf(log, "Ringing 1002…") {
		t.Fatalf("status order %q: want Dialing before Ringing", log)
	}
	b.click("button", "Accept Video")

	a.waitText("status", regexp.MustCompile("^Connected to 1002 Bob$"), signalTimeout)
	b.waitText("status", regexp.MustCompile("^Connected to 1001 Alice$"), signalTimeout)
	b.waitUntil("dialog closed", time.Second, "window.__xpt.names('dialog').length === 0")
	for _, p := range []*browser{a, b} {
		p.waitUntil("connected state", time.Second,
			"window.xphone.state().callState === 'connected' && !!window.xphone.state().callId")
		for _, name := range []string{"Hang up", "Mute microphone", "Mute sound", "Stop video"} {
			p.waitVisible("button", name, time.Second)
		}
		p.waitVisible("textbox", "Number", time.Second) // stays during the call (F12)
	}
	a.requireTimerRuns()
	b.requireTimerRuns()

	a.requireMediaFlowing(true, mediaTimeout)
	b.requireMediaFlowing(true, mediaTimeout)
	for _, p := range []*browser{a, b} {
		p.waitUntil("remote video playing", mediaTimeout,
			`(() => { const v = document.querySelector('video[aria-label="Remote video"]');
			  return v && v.videoWidth > 0 && v.srcObject && v.srcObject.getVideoTracks().length > 0; })()`)
		p.waitUntil("local preview", time.Second,
			`(() => { const v = document.querySelector('video[aria-label="Local video"]');
			  return v && v.muted && v.srcObject && v.srcObject.getVideoTracks().length > 0; })()`)
	}

	requireToggles(t, a)
	// The camera back on: 1002 decodes 1001's video (and hears it) again.
	b.requireMediaFlowing(true, mediaTimeout)

	a.click("button", "Hang up")
	start := time.Now()
	b.waitUntil("1002 back to idle", 5*time.Second, idle())
	t.Logf("1002 idle %v after 1001 hung up", time.Since(start).Round(time.Millisecond))
	a.waitUntil("1001 back to idle", 5*time.Second, idle())
	b.waitUntil("peer connection closed", time.Second, "window.xphone.pc() === null")
}

// requireToggles checks Mute microphone, Mute sound and Stop video: their
// aria-pressed state and their effect on the tracks and the media elements.
func requireToggles(t *testing.T, p *browser) {
	t.Helper()
	const senderEnabled = `(() => { const s = window.xphone.pc().getSenders().filter((s) => s.track && s.track.kind === %s);
	  return s.length > 0 && s.every((s) => s.track.enabled === %v); })()`
	const audible = `[...document.querySelectorAll('audio, video')].filter((m) => m.srcObject && m.srcObject.getAudioTracks().length > 0)`

	for _, tc := range []struct{ button, kind string }{
		{"Mute microphone", "audio"},
		{"Stop video", "video"},
	} {
		if got := p.pressed(tc.button); got != "false" {
			t.Fatalf("%s aria-pressed = %q before clicking, want false", tc.button, got)
		}
		p.click("button", tc.button)
		p.waitUntil(tc.button+" pressed", time.Second, fmt.Sprintf(
			`window.__xpt.find('button', %s).getAttribute('aria-pressed') === 'true'`, js(tc.button)))
		p.waitUntil(tc.button+" disables the local "+tc.kind+" track", time.Second, fmt.Sprintf(senderEnabled, js(tc.kind), false))
		p.click("button", tc.button)
		p.waitUntil(tc.button+" released", time.Second, fmt.Sprintf(
			`window.__xpt.find('button', %s).getAttribute('aria-pressed') === 'false'`, js(tc.button)))
		p.waitUntil(tc.button+" re-enables the local "+tc.kind+" track", time.Second, fmt.Sprintf(senderEnabled, js(tc.kind), true))
	}

	p.waitUntil("remote audio attached and audible", time.Second, audible+".some((m) => !m.muted)")
	p.click("button", "Mute sound")
	p.waitUntil("Mute sound pressed", time.Second, `window.__xpt.find('button', 'Mute sound').getAttribute('aria-pressed') === 'true'`)
	p.waitUntil("remote audio muted", time.Second, audible+".every((m) => m.muted)")
	p.click("button", "Mute sound")
	p.waitUntil("Mute sound released", time.Second, `window.__xpt.find('button', 'Mute sound').getAttribute('aria-pressed') === 'false'`)
	p.waitUntil("remote audio unmuted", time.Second, audible+".some((m) => !m.muted)")
}

// TestDecline: an audio call (started with Enter) offers no Accept Video;
// Decline shows "Declined" to the caller (F14).
func TestDecline(t *testing.T) {
	srv := startServer(t, serverOptions{})
	a := newBrowser(t, "1001")
	b := newBrowser(t, "1002")
	a.login(srv, "1001")
	b.login(srv, "1002")

	a.fill("Number", "1002")
	a.press("\r") // Enter = audio call
	a.waitStatusSeen(regexp.MustCompile("^Dialing 1002…$"), signalTimeout)
	b.waitUntil("incoming dialog", signalTimeout, "window.__xpt.names('dialog').length === 1")
	b.waitVisible("button", "Accept Audio", time.Second)
	b.waitVisible("button", "Decline", time.Second)
	if b.isVisible("button", "Accept Video") {
		t.Fatal("Accept Video is offered for an audio call")
	}
	var video bool
	a.eval("window.xphone.state().video", &video)
	if video {
		t.Fatal("Enter in the Number field started a video call, want audio")
	}
	a.waitStatusSeen(regexp.MustCompile("^Ringing 1002…$"), signalTimeout)

	b.click("button", "Decline")
	a.waitText("status", regexp.MustCompile(`(?i)declined`), signalTimeout)
	b.waitUntil("dialog closed", signalTimeout, "window.__xpt.names('dialog').length === 0")
	a.waitUntil("1001 back to idle", signalTimeout, idle())
	b.waitUntil("1002 idle", signalTimeout, idle())
}

// TestUnreachableNumbers: an unknown number and a logged-out extension give
// readable reasons (F10).
func TestUnreachableNumbers(t *testing.T) {
	srv := startServer(t, serverOptions{})
	a := newBrowser(t, "1001")
	a.login(srv, "1001")

	a.dial("5555", false)
	a.waitText("status", regexp.MustCompile(`(?i)no such number|not found|unknown number`), signalTimeout)
	a.waitUntil("idle after the failed call", signalTimeout, idle())

	a.dial("1003", false)
	a.waitText("status", regexp.MustCompile(`(?i)unavailable|not logged in|offline`), signalTimeout)
	a.waitUntil("idle after the failed call", signalTimeout, idle())
	if a.isVisible("button", "Hang up") {
		t.Fatal("Hang up still shown after the call failed")
	}
}

// TestTabCloseHangsUp: closing the callee's tab during a call ends the call
// for the caller within 3 s (F11).
// Closing a Firefox window is tried too (its pagehide).
func TestTabCloseHangsUp(t *testing.T) {
	for _, e := range engines {
		t.Run(string(e), func(t *testing.T) { tabCloseHangsUp(t, e) })
	}
}

func tabCloseHangsUp(t *testing.T, eb engine) {
	srv := startServer(t, serverOptions{})
	a := newBrowser(t, "1001")
	b := newBrowser(t, "1002", inEngine(eb))
	a.login(srv, "1001")
	b.login(srv, "1002")

	connectCall(t, a, b, "1001", "Alice", "1002", "Bob", true, true)
	a.requireMediaFlowing(true, mediaTimeout)

	b.close()
	start := time.Now()
	a.waitUntil("1001 back to idle after 1002 closed the tab", 3*time.Second, idle())
	t.Logf("1001 idle %v after 1002's tab closed", time.Since(start).Round(time.Millisecond))
	a.waitUntil("peer connection released", time.Second, "window.xphone.pc() === null")
}

// TestNoCamera: without a camera Video call is disabled (with a reason) while
// Audio call works, and an incoming video call offers no Accept Video (F9, F14).
// The camera-less browser is Chromium, then Firefox.
func TestNoCamera(t *testing.T) {
	for _, e := range engines {
		t.Run(string(e), func(t *testing.T) { noCamera(t, e) })
	}
}

func noCamera(t *testing.T, eb engine) {
	srv := startServer(t, serverOptions{})
	a := newBrowser(t, "1001")
	b := newBrowser(t, "1002-nocam", withoutCamera(), inEngine(eb))
	a.login(srv, "1001")
	b.login(srv, "1002")

	var btn struct {
		Disabled bool   `json:"disabled"`
		Title    string `json:"title"`
	}
	b.waitVisible("button", "Video call", time.Second)
	b.eval(`(() => { const el = window.__xpt.find('button', 'Video call'); return {disabled: el.disabled, title: el.title}; })()`, &btn)
	if !btn.Disabled || strings.TrimSpace(btn.Title) == "" {
		t.Fatalf("Video call without a camera: disabled=%v title=%q, want disabled with an explanation", btn.Disabled, btn.Title)
	}
	var audioDisabled bool
	b.eval(`window.__xpt.find('button', 'Audio call').disabled`, &audioDisabled)
	if audioDisabled {
		t.Fatal("Audio call is disabled without a camera")
	}
	var camDisabled bool
	a.eval(`window.__xpt.find('button', 'Video call').disabled`, &camDisabled)
	if camDisabled {
		t.Fatal("Video call is disabled in the browser that has a camera")
	}

	a.dial("1002", true)
	b.waitUntil("incoming dialog", signalTimeout, "window.__xpt.names('dialog').length === 1")
	b.waitVisible("button", "Accept Audio", time.Second)
	if b.isVisible("button", "Accept Video") {
		t.Fatal("Accept Video is offered in a browser without a camera")
	}
	b.click("button", "Accept Audio")
	a.waitText("status", regexp.MustCompile("^Connected to 1002 Bob$"), signalTimeout)
	b.waitText("status", regexp.MustCompile("^Connected to 1001 Alice$"), signalTimeout)
	b.requireMediaFlowing(false, mediaTimeout)
	b.click("button", "Hang up")
	a.waitUntil("1001 back to idle", signalTimeout, idle())
}

// TestNoAnswer: an unanswered call ends with "No answer" after
// calls.no_answer_timeout, and the callee's popup closes (F10).
func TestNoAnswer(t *testing.T) {
	srv := startServer(t, serverOptions{noAnswerTimeout: "5s"})
	a := newBrowser(t, "1001")
	b := newBrowser(t, "1002")
	a.login(srv, "1001")
	b.login(srv, "1002")

	a.dial("1002", false)
	b.waitUntil("incoming dialog", signalTimeout, "window.__xpt.names('dialog').length === 1")
	start := time.Now()
	a.waitText("status", regexp.MustCompile(`(?i)no answer`), 5*time.Second+signalTimeout)
	t.Logf("No answer after %v of ringing", time.Since(start).Round(time.Millisecond))
	b.waitUntil("dialog closed after no answer", signalTimeout, "window.__xpt.names('dialog').length === 0")
	a.waitUntil("1001 back to idle", signalTimeout, idle())
}

// indexOf returns the index of s in list, or len(list) when absent.
func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return len(list)
}

// TestRingingEnds: the incoming popup closes when the caller cancels, and
// on a second tab of the callee when the first tab answers (F13).
func TestRingingEnds(t *testing.T) {
	srv := startServer(t, serverOptions{})
	a := newBrowser(t, "1001")
	b := newBrowser(t, "1002")
	a.login(srv, "1001")
	b.login(srv, "1002")
	b2 := b.secondTab("1002-tab2")
	b2.navigate(srv.URL) // same cookies: logged in already
	b2.waitVisible("textbox", "Number", signalTimeout)
	b2.waitUntil("signalling ready", signalTimeout, "window.xphone.state().ready")

	const oneDialog = "window.__xpt.names('dialog').length === 1"
	const noDialog = "window.__xpt.names('dialog').length === 0"

	// Hang up at once, maybe before the server even named the call: nothing
	// may keep ringing (the calls below would then get "Busy").
	a.dial("1002", false)
	a.click("button", "Hang up")
	a.waitUntil("1001 idle after the quick hang-up", signalTimeout, idle())
	b.waitUntil("no dialog after the quick hang-up", signalTimeout, noDialog)
	b2.waitUntil("no dialog after the quick hang-up", signalTimeout, noDialog)

	// The caller gives up while it rings: both callee tabs stop ringing.
	a.dial("1002", false)
	b.waitUntil("incoming dialog", signalTimeout, oneDialog)
	b2.waitUntil("incoming dialog on the second tab", signalTimeout, oneDialog)
	a.waitStatusSeen(regexp.MustCompile("^Ringing 1002…$"), signalTimeout)
	a.click("button", "Hang up")
	a.waitText("status", regexp.MustCompile(`(?i)cancel`), signalTimeout)
	b.waitUntil("dialog closed after the caller cancelled", signalTimeout, noDialog)
	b2.waitUntil("second tab's dialog closed after the caller cancelled", signalTimeout, noDialog)
	a.waitUntil("1001 idle", signalTimeout, idle())

	// The second tab answers: the first tab's popup closes, the call connects there.
	a.dial("1002", false)
	b.waitUntil("incoming dialog", signalTimeout, oneDialog)
	b2.waitUntil("incoming dialog on the second tab", signalTimeout, oneDialog)
	b2.click("button", "Accept Audio")
	b.waitUntil("first tab's dialog closed (answered elsewhere)", signalTimeout, noDialog)
	b2.waitText("status", regexp.MustCompile("^Connected to 1001 Alice$"), signalTimeout)
	a.waitText("status", regexp.MustCompile("^Connected to 1002 Bob$"), signalTimeout)
	b.waitUntil("first tab stays idle", time.Second, idle())
	b2.requireMediaFlowing(false, mediaTimeout)
	b2.click("button", "Hang up")
	a.waitUntil("1001 idle after 1002 hung up", signalTimeout, idle())
}

// TestSessionEnded: when the session ends elsewhere (here: api/logout from
// the page itself, which closes the socket), the UI notices on reconnect
// (api/session answers 401) and shows the login form.
func TestSessionEnded(t *testing.T) {
	srv := startServer(t, serverOptions{})
	a := newBrowser(t, "1001")
	a.login(srv, "1001")
	a.eval(`fetch('api/logout', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: '{}'}).then((r) => r.status)`, nil)
	a.waitVisible("textbox", "Extension", signalTimeout)
	a.waitText("alert", regexp.MustCompile(`(?i)session`), time.Second)
}
