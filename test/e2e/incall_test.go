package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// In-call features of 1:1 calls (SPEC F12, F18, F19, F24; docs/signaling.md
// "In-call features"): DTMF, hold with music on hold, blind and attended
// transfer, call waiting. Each test drives real Chromium tabs through the
// server and checks both the UI and the media (getStats).

// noticeJS is the text of the visible DTMF / notice line (” when none).
const noticeJS = `(() => { const n = document.getElementById('notice');
  return n && window.__xpt.isVisible(n) ? n.textContent.trim() : ''; })()`

// waitNotice waits until the notice line (e.g. "DTMF 123#") matches re.
func (b *browser) waitNotice(re *regexp.Regexp, timeout time.Duration) {
	b.t.Helper()
	b.waitUntil(fmt.Sprintf("notice matching %s", re), timeout, fmt.Sprintf("%s.test(%s)", jsRegExp(re), noticeJS))
}

// typeInNumber focuses the Number field (keeping its text) and types keys.
func (b *browser) typeInNumber(keys string) {
	b.t.Helper()
	b.waitVisible("textbox", "Number", stepTimeout)
	b.eval(`(() => { const el = window.__xpt.find('textbox', 'Number'); el.focus();
	  el.setSelectionRange(el.value.length, el.value.length); return true; })()`, nil)
	b.typeKeys("type "+keys, keys)
}

// waitPressed waits until the toggle button's aria-pressed is want.
func (b *browser) waitPressed(name string, want bool, timeout time.Duration) {
	b.t.Helper()
	b.waitUntil(fmt.Sprintf("%s aria-pressed=%v", name, want), timeout, fmt.Sprintf(
		`(window.__xpt.find('button', %s) || {getAttribute: () => ''}).getAttribute('aria-pressed') === %s`,
		js(name), js(fmt.Sprint(want))))
}

// callListJS is the call list as "label|state" strings.
const callListJS = `[...document.querySelectorAll('#call-list li')].filter((e) => window.__xpt.isVisible(e))
  .map((li) => li.querySelector('.call-item-peer').textContent + '|' + li.querySelector('.call-item-state').textContent)`

// waitCallList waits until the visible call list is exactly want ("1001 Alice|On hold", …).
func (b *browser) waitCallList(want []string, timeout time.Duration) {
	b.t.Helper()
	b.waitUntil(fmt.Sprintf("call list %q", want), timeout,
		fmt.Sprintf("JSON.stringify(%s) === %s", callListJS, js(mustJSON(want))))
}

func mustJSON(v []string) string {
	parts := make([]string, len(v))
	for i, s := range v {
		parts[i] = js(s)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// requireVideoStalled asserts that no (or hardly any) video frames are
// decoded over a short window: while a call is held nothing is forwarded.
func (b *browser) requireVideoStalled(window time.Duration) {
	b.t.Helper()
	first := b.stats()
	time.Sleep(window) // the observation window of a "nothing arrives" check
	last := b.stats()
	if d := last.VideoFrames - first.VideoFrames; d > 3 {
		b.t.Fatalf("%s: %v video frames decoded in %v while held, want none: %s → %s", b.name, d, window, first, last)
	}
}

// requireAudioFlowingOnly asserts audio packets and energy keep rising (e.g.
// music on hold) without needing video.
func (b *browser) requireAudioFlowingOnly(timeout time.Duration) {
	b.t.Helper()
	b.requireMediaFlowing(false, timeout)
}

// shotBoth saves a screenshot at 1280×800 and 390×844 when
// XPHONE_SCREENSHOTS names a directory (for human review; no assertion).
func shotBoth(t *testing.T, p *browser, name string) {
	t.Helper()
	dir := os.Getenv("XPHONE_SCREENSHOTS")
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, vp := range []struct {
		name string
		w, h int64
	}{{"desktop", 1280, 800}, {"phone", 390, 844}} {
		p.setViewport(vp.w, vp.h)
		time.Sleep(400 * time.Millisecond) // let layout and transitions settle; pictures only
		p.screenshot(filepath.Join(dir, fmt.Sprintf("%s-%s.png", vp.name, name)))
	}
	p.setViewport(p.opts.width, p.opts.height)
}

// TestDTMFAndHold: 1001 types 123# (and presses 5 on the keypad) during a
// video call: 1002 shows the keys. 1002 holds: 1001 shows "On hold", hears
// music on hold and gets no video; resume brings video back both ways.
// Run with 1001 in Chromium and in Firefox ESR (its DTMF sender, and music
// on hold and video after resume as Firefox receives them).
func TestDTMFAndHold(t *testing.T) {
	for _, pair := range [][2]engine{{chromium, chromium}, {firefox, chromium}} {
		t.Run(pairName(pair), func(t *testing.T) { dtmfAndHold(t, pair[0], pair[1]) })
	}
}

func dtmfAndHold(t *testing.T, ea, eb engine) {
	srv := startServer(t, serverOptions{})
	a := newBrowser(t, "1001", inEngine(ea))
	b := newBrowser(t, "1002", inEngine(eb))
	a.login(srv, "1001")
	b.login(srv, "1002")
	connectCall(t, a, b, "1001", "Alice", "1002", "Bob", true, true)
	a.requireMediaFlowing(true, mediaTimeout)
	b.requireMediaFlowing(true, mediaTimeout)
	a.requireRTCPFeedback(20 * time.Second)

	// DTMF (F12): typed in the Number field, then one key on the keypad.
	a.typeInNumber("123#")
	b.waitNotice(regexp.MustCompile(`^DTMF 123#$`), signalTimeout)
	a.click("button", "Keypad")
	a.click("button", "5")
	b.waitNotice(regexp.MustCompile(`^DTMF 123#5$`), signalTimeout)
	a.click("button", "Keypad")

	// Hold (F18): only 1:1 calls have it.
	for _, p := range []*browser{a, b} {
		p.waitVisible("button", "Hold", time.Second)
		p.waitVisible("button", "Transfer", time.Second)
		if got := p.pressed("Hold"); got != "false" {
			t.Fatalf("%s: Hold aria-pressed = %q before holding, want false", p.name, got)
		}
	}
	b.click("button", "Hold")
	b.waitPressed("Hold", true, signalTimeout)
	a.waitText("status", regexp.MustCompile(`^On hold$`), signalTimeout)
	b.waitText("status", regexp.MustCompile(`^You put 1001 on hold$`), signalTimeout)
	shotBoth(t, a, "incall-1-on-hold")
	shotBoth(t, b, "incall-2-holding")
	a.requireAudioFlowingOnly(mediaTimeout) // music on hold from the server
	a.requireVideoStalled(1500 * time.Millisecond)

	b.click("button", "Hold")
	b.waitPressed("Hold", false, signalTimeout)
	a.waitText("status", regexp.MustCompile(`^Connected to 1002 Bob$`), signalTimeout)
	b.waitText("status", regexp.MustCompile(`^Connected to 1001 Alice$`), signalTimeout)
	a.requireMediaFlowing(true, mediaTimeout)
	b.requireMediaFlowing(true, mediaTimeout)

	a.click("button", "Hang up")
	b.waitUntil("1002 idle", signalTimeout, idle())
	a.waitUntil("1001 idle", signalTimeout, idle())
}

// TestBlindTransfer: 1002 puts 1001 through to 1003 (Transfer now): 1003
// rings with 1001's number and name, accepts, and 1001 and 1003 talk with
// video; 1002's call ends as "Transferred" (F19). Run in Chromium, and with
// 1001 and 1003 in Firefox ESR (transferred from and to a Firefox user,
// ending in a Firefox-to-Firefox video call).
func TestBlindTransfer(t *testing.T) {
	for _, es := range [][3]engine{{chromium, chromium, chromium}, {firefox, chromium, firefox}} {
		t.Run(string(es[0])+"-"+string(es[1])+"-"+string(es[2]), func(t *testing.T) { blindTransfer(t, es) })
	}
}

func blindTransfer(t *testing.T, es [3]engine) {
	srv := startServer(t, serverOptions{})
	a := newBrowser(t, "1001", inEngine(es[0]))
	b := newBrowser(t, "1002", inEngine(es[1]))
	c := newBrowser(t, "1003", inEngine(es[2]))
	a.login(srv, "1001")
	b.login(srv, "1002")
	c.login(srv, "1003")
	connectCall(t, a, b, "1001", "Alice", "1002", "Bob", true, true)
	a.requireMediaFlowing(true, mediaTimeout)

	b.click("button", "Transfer")
	b.waitVisible("dialog", "Transfer call", time.Second)
	b.waitVisible("button", "Transfer now", time.Second)
	b.waitVisible("button", "Consult", time.Second)
	b.waitVisible("button", "Cancel", time.Second)
	// Cancel closes the dialog and changes nothing.
	b.click("button", "Cancel")
	b.waitGone("dialog", "Transfer call", time.Second)
	b.waitText("status", regexp.MustCompile(`^Connected to 1001 Alice$`), time.Second)

	// A conference room is no transfer target: the server refuses, the call goes on.
	b.click("button", "Transfer")
	b.fill("Transfer to", "800")
	b.click("button", "Transfer now")
	b.waitNotice(regexp.MustCompile(`(?i)cannot transfer`), signalTimeout)
	b.waitText("status", regexp.MustCompile(`^Connected to 1001 Alice$`), signalTimeout)
	a.waitText("status", regexp.MustCompile(`^Connected to 1002 Bob$`), time.Second)

	b.click("button", "Transfer")
	b.fill("Transfer to", "1003")
	shotBoth(t, b, "incall-3-transfer-dialog")
	b.click("button", "Transfer now")

	c.waitUntil("1003 rings", signalTimeout, "window.__xpt.names('dialog').length === 1")
	if dialog := c.text("dialog"); !strings.Contains(dialog, "1001") || !strings.Contains(dialog, "Alice") {
		t.Fatalf("1003's incoming dialog shows %q, want 1001 Alice", dialog)
	}
	a.waitStatusSeen(regexp.MustCompile(`^Transferring to 1003…$`), signalTimeout)
	b.waitStatusSeen(regexp.MustCompile(`^Transferred$`), signalTimeout)
	b.waitUntil("1002 idle after the transfer", signalTimeout, idle())

	c.click("button", "Accept Video")
	a.waitText("status", regexp.MustCompile(`^Connected to 1003 Carol$`), signalTimeout)
	c.waitText("status", regexp.MustCompile(`^Connected to 1001 Alice$`), signalTimeout)
	a.requireMediaFlowing(true, mediaTimeout)
	c.requireMediaFlowing(true, mediaTimeout)

	c.click("button", "Hang up")
	a.waitUntil("1001 idle", signalTimeout, idle())
}

// threeWithCall logs 1001, 1002 and 1003 in, each in its own Chromium
// (1002 in eb), and connects an audio call 1001 → 1002.
func threeWithCall(t *testing.T, eb ...engine) (a, b, c *browser) {
	t.Helper()
	srv := startServer(t, serverOptions{})
	e := chromium
	if len(eb) > 0 {
		e = eb[0]
	}
	a, b, c = newBrowser(t, "1001"), newBrowser(t, "1002", inEngine(e)), newBrowser(t, "1003")
	a.login(srv, "1001")
	b.login(srv, "1002")
	c.login(srv, "1003")
	connectCall(t, a, b, "1001", "Alice", "1002", "Bob", false, false)
	return a, b, c
}

// consult has b start a consultation with 1003 from its call with a: a is
// held and c rings.
func consult(b, a, c *browser) {
	b.click("button", "Transfer")
	b.fill("Transfer to", "1003")
	b.click("button", "Consult")
	a.waitText("status", regexp.MustCompile(`^On hold$`), signalTimeout)
	c.waitUntil("1003 rings", signalTimeout, "window.__xpt.names('dialog').length === 1")
}

// TestAttendedTransfer: 1002 consults 1003 while 1001 holds (music), then
// Complete transfer joins 1001 and 1003; 1002 ends as "Transferred". Run
// with 1002 (two calls in one tab) in Chromium and in Firefox ESR.
func TestAttendedTransfer(t *testing.T) {
	for _, e := range engines {
		t.Run(string(e), func(t *testing.T) { attendedTransfer(t, e) })
	}
}

func attendedTransfer(t *testing.T, eb engine) {
	a, b, c := threeWithCall(t, eb)

	consult(b, a, c)
	if dialog := c.text("dialog"); !strings.Contains(dialog, "1002") || !strings.Contains(dialog, "Bob") {
		t.Fatalf("1003's incoming dialog shows %q, want 1002 Bob", dialog)
	}
	b.waitVisible("button", "Complete transfer", signalTimeout)
	c.click("button", "Accept Audio")
	b.waitText("status", regexp.MustCompile(`^Connected to 1003 Carol$`), signalTimeout)
	c.waitText("status", regexp.MustCompile(`^Connected to 1002 Bob$`), signalTimeout)
	b.waitCallList([]string{"1001 Alice|On hold", "1003 Carol|Active"}, signalTimeout)
	b.waitUntil("Complete transfer enabled", signalTimeout, `!window.__xpt.find('button', 'Complete transfer').disabled`)
	shotBoth(t, b, "incall-4-consult")
	b.requireMediaFlowing(false, mediaTimeout) // 1002 talks to 1003
	c.requireMediaFlowing(false, mediaTimeout)
	a.requireAudioFlowingOnly(mediaTimeout) // 1001 hears music on hold

	b.click("button", "Complete transfer")
	a.waitText("status", regexp.MustCompile(`^Connected to 1003 Carol$`), signalTimeout)
	c.waitText("status", regexp.MustCompile(`^Connected to 1001 Alice$`), signalTimeout)
	b.waitStatusSeen(regexp.MustCompile(`^Transferred$`), signalTimeout)
	b.waitUntil("1002 idle after the transfer", signalTimeout, idle())
	b.waitUntil("1002 has no calls", signalTimeout, "window.xphone.calls().length === 0")
	a.requireMediaFlowing(false, mediaTimeout)
	c.requireMediaFlowing(false, mediaTimeout)

	a.click("button", "Hang up")
	c.waitUntil("1003 idle", signalTimeout, idle())
}

// TestConsultCancel: Cancel during a consultation hangs it up and resumes
// the held call.
func TestConsultCancel(t *testing.T) {
	a, b, c := threeWithCall(t)

	consult(b, a, c)
	c.click("button", "Accept Audio")
	b.waitText("status", regexp.MustCompile(`^Connected to 1003 Carol$`), signalTimeout)
	b.click("button", "Cancel")
	c.waitUntil("1003 idle after the cancelled consultation", signalTimeout, idle())
	a.waitText("status", regexp.MustCompile(`^Connected to 1002 Bob$`), signalTimeout)
	b.waitText("status", regexp.MustCompile(`^Connected to 1001 Alice$`), signalTimeout)
	b.waitPressed("Hold", false, signalTimeout)
	a.requireMediaFlowing(false, mediaTimeout)
	b.requireMediaFlowing(false, mediaTimeout)
	b.click("button", "Hang up")
	a.waitUntil("1001 idle", signalTimeout, idle())
}

// TestCallWaiting: 1003 calls 1002 during 1001↔1002: the incoming dialog
// shows over the call; Accept Audio holds 1001; Switch call and Resume swap
// the calls; hanging up the active call leaves the held one. Run with 1002
// in Chromium and in Firefox ESR.
func TestCallWaiting(t *testing.T) {
	for _, e := range engines {
		t.Run(string(e), func(t *testing.T) { callWaiting(t, e) })
	}
}

func callWaiting(t *testing.T, eb engine) {
	a, b, c := threeWithCall(t, eb)

	c.dial("1002", false)
	b.waitUntil("incoming dialog during the call", signalTimeout, "window.__xpt.names('dialog').length === 1")
	if dialog := b.text("dialog"); !strings.Contains(dialog, "1003") || !strings.Contains(dialog, "Carol") {
		t.Fatalf("1002's call-waiting dialog shows %q, want 1003 Carol", dialog)
	}
	b.waitVisible("button", "Accept Audio", time.Second)
	b.waitVisible("button", "Decline", time.Second)
	c.waitStatusSeen(regexp.MustCompile(`^Ringing 1002…$`), signalTimeout)
	shotBoth(t, b, "incall-5-call-waiting")
	b.click("button", "Accept Audio")

	a.waitText("status", regexp.MustCompile(`^On hold$`), signalTimeout)
	c.waitText("status", regexp.MustCompile(`^Connected to 1002 Bob$`), signalTimeout)
	b.waitText("status", regexp.MustCompile(`^Connected to 1003 Carol$`), signalTimeout)
	b.waitCallList([]string{"1001 Alice|On hold", "1003 Carol|Active"}, signalTimeout)
	shotBoth(t, b, "incall-6-two-calls")
	b.requireMediaFlowing(false, mediaTimeout)
	c.requireMediaFlowing(false, mediaTimeout)

	b.click("button", "Switch call")
	c.waitText("status", regexp.MustCompile(`^On hold$`), signalTimeout)
	a.waitText("status", regexp.MustCompile(`^Connected to 1002 Bob$`), signalTimeout)
	b.waitText("status", regexp.MustCompile(`^Connected to 1001 Alice$`), signalTimeout)
	b.waitCallList([]string{"1001 Alice|Active", "1003 Carol|On hold"}, signalTimeout)
	a.requireMediaFlowing(false, mediaTimeout)
	b.requireMediaFlowing(false, mediaTimeout)

	// Per-call Resume does the same.
	b.click("button", "Resume")
	a.waitText("status", regexp.MustCompile(`^On hold$`), signalTimeout)
	c.waitText("status", regexp.MustCompile(`^Connected to 1002 Bob$`), signalTimeout)
	b.waitText("status", regexp.MustCompile(`^Connected to 1003 Carol$`), signalTimeout)

	// Hanging up the active call leaves the held one, still held and visible.
	b.click("button", "Hang up")
	c.waitUntil("1003 idle", signalTimeout, idle())
	b.waitText("status", regexp.MustCompile(`^You put 1001 on hold$`), signalTimeout)
	b.waitPressed("Hold", true, signalTimeout)
	a.waitText("status", regexp.MustCompile(`^On hold$`), time.Second)
	b.click("button", "Hold")
	a.waitText("status", regexp.MustCompile(`^Connected to 1002 Bob$`), signalTimeout)
	b.waitText("status", regexp.MustCompile(`^Connected to 1001 Alice$`), signalTimeout)
	a.requireMediaFlowing(false, mediaTimeout)
	a.click("button", "Hang up")
	b.waitUntil("1002 idle", signalTimeout, idle())
}

// TestNoHoldInConference: a conference room offers neither Hold nor
// Transfer (F24), while a 1:1 call does.
func TestNoHoldInConference(t *testing.T) {
	srv := startServer(t, serverOptions{})
	a := newBrowser(t, "1001")
	a.login(srv, "1001")
	a.dial("800", false)
	a.waitText("status", regexp.MustCompile(`^800 · Board$`), signalTimeout)
	a.waitUntil("media connected", mediaTimeout, "window.xphone.pc() && window.xphone.pc().connectionState === 'connected'")
	a.waitVisible("button", "Hang up", time.Second)
	for _, name := range []string{"Hold", "Transfer", "Switch call"} {
		if a.isVisible("button", name) {
			t.Fatalf("%s is offered in a conference room\npage: %s", name, a.describe())
		}
	}
	a.click("button", "Hang up")
	a.waitUntil("idle", signalTimeout, idle())
}
