package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The phone around the calls (issue #15): recent and missed calls, the
// directory with live presence, do-not-disturb, devices, the fixed defects.
// The scenarios share their browsers and run in order, so the suite starts
// few browsers.

// listItemsJS is the texts of the visible items of the list named name.
func listItemsJS(name string) string {
	return fmt.Sprintf(`(() => { const l = window.__xpt.find('list', %s);
	  return l ? [...l.querySelectorAll('li')].filter((e) => window.__xpt.isVisible(e))
	    .map((e) => e.innerText.replace(/\s+/g, ' ').trim()) : []; })()`, js(name))
}

// listItems returns the texts of the visible items of the list named name.
func (b *browser) listItems(name string) []string {
	b.t.Helper()
	var items []string
	b.eval(listItemsJS(name), &items)
	return items
}

// waitItem waits until an item of list name matches re and returns its text.
func (b *browser) waitItem(list string, re *regexp.Regexp, timeout time.Duration) string {
	b.t.Helper()
	b.waitUntil(fmt.Sprintf("an item of %q matching %s", list, re), timeout,
		fmt.Sprintf("%s.some((s) => %s.test(s))", listItemsJS(list), jsRegExp(re)))
	for _, s := range b.listItems(list) {
		if re.MatchString(s) {
			return s
		}
	}
	return ""
}

// clickInItem clicks the button named button in the item of list whose
// text contains text.
func (b *browser) clickInItem(list, text, button string) {
	b.t.Helper()
	var p *point
	b.eval(fmt.Sprintf(`(() => { const l = window.__xpt.find('list', %s); if (!l) return null;
	  const li = [...l.querySelectorAll('li')].find((e) => window.__xpt.isVisible(e) && e.textContent.includes(%s));
	  const btn = li && [...li.querySelectorAll('button')].find((x) => window.__xpt.nameOf(x) === %s);
	  if (!btn) return null; btn.scrollIntoView({block: 'center'}); const r = btn.getBoundingClientRect();
	  return {x: r.left + r.width / 2, y: r.top + r.height / 2, disabled: btn.disabled}; })()`, js(list), js(text), js(button)), &p)
	if p == nil {
		b.t.Fatalf("%s: no button %q in the %q item with %q\nitems: %q", b.name, button, list, text, b.listItems(list))
	}
	b.clickAt(*p, button)
}

// clickAt clicks at a point like a user.
func (b *browser) clickAt(p point, what string) {
	b.t.Helper()
	b.mouse("click "+what, p.X, p.Y, true)
}

// visibleTextsJS is every visible text of the page, one per element that
// holds text itself.
const visibleTextsJS = `[...document.querySelectorAll('body *')].filter((e) => window.__xpt.isVisible(e) &&
  [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim()))
  .map((e) => [...e.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join('').replace(/\s+/g, ' ').trim())`

// waitShown waits until some visible element's own text matches re.
func (b *browser) waitShown(re *regexp.Regexp, timeout time.Duration) string {
	b.t.Helper()
	b.waitUntil(fmt.Sprintf("a text matching %s", re), timeout, fmt.Sprintf("%s.some((s) => %s.test(s))", visibleTextsJS, jsRegExp(re)))
	var texts []string
	b.eval(visibleTextsJS, &texts)
	for _, s := range texts {
		if re.MatchString(s) {
			return s
		}
	}
	return ""
}

// shown reports whether some visible element's own text matches re now.
func (b *browser) shown(re *regexp.Regexp) bool {
	b.t.Helper()
	var ok bool
	b.eval(fmt.Sprintf("%s.some((s) => %s.test(s))", visibleTextsJS, jsRegExp(re)), &ok)
	return ok
}

// recorderJS keeps, in every document, when each directory entry's text
// and the status line changed, and when the user clicked which button
// (Date.now(), the machine's clock), so a test can tell how fast a change
// reached another screen.
const recorderJS = `(() => {
  window.__rec = [];
  const seen = new Map();
  document.addEventListener('click', (e) => {
    const b = e.target.closest && e.target.closest('button');
    if (b && window.__xpt) window.__rec.push({key: 'click', val: window.__xpt.nameOf(b), at: Date.now()});
  }, true);
  setInterval(() => {
    const now = Date.now();
    const note = (key, val) => { if (seen.get(key) !== val) { seen.set(key, val); window.__rec.push({key, val, at: now}); } };
    const st = document.querySelector('[role="status"]');
    if (st) note('status', st.textContent.trim());
    const l = document.getElementById('directory-list');
    if (l) for (const li of l.querySelectorAll('li')) {
      const n = li.querySelector('.entry-number');
      if (n) note(n.textContent, li.querySelector('.entry-what').textContent);
    }
  }, 10);
})();`

// recordedAt is when (Unix ms) key first showed a value matching re in b's
// recorder, or 0.
func (b *browser) recordedAt(key string, re *regexp.Regexp) int64 {
	b.t.Helper()
	var at int64
	b.eval(fmt.Sprintf(`(() => { const r = (window.__rec || []).find((e) => e.key === %s && %s.test(e.val));
	  return r ? r.at : 0; })()`, js(key), jsRegExp(re)), &at)
	return at
}

// requireSeenWithin waits until other's screen shows key matching re and
// requires it within limit of since (Unix ms, on this machine's clock).
func requireSeenWithin(t *testing.T, other *browser, key string, re *regexp.Regexp, since int64, limit time.Duration) time.Duration {
	t.Helper()
	other.waitUntil(fmt.Sprintf("%s shows %s", key, re), signalTimeout,
		fmt.Sprintf(`(window.__rec || []).some((e) => e.key === %s && %s.test(e.val) && e.at >= %d)`, js(key), jsRegExp(re), since))
	var at int64
	other.eval(fmt.Sprintf(`(window.__rec || []).find((e) => e.key === %s && %s.test(e.val) && e.at >= %d).at`,
		js(key), jsRegExp(re), since), &at)
	took := time.Duration(at-since) * time.Millisecond
	if took > limit {
		t.Fatalf("%s: %s showed %s %v after the change, want ≤ %v", other.name, key, re, took, limit)
	}
	return took
}

// nowMs is the browser's clock (Unix ms).
func (b *browser) nowMs() int64 {
	b.t.Helper()
	var ms int64
	b.eval(`Date.now()`, &ms)
	return ms
}

// openTab clicks the side panel's tab named name.
func (b *browser) openTab(name string) {
	b.t.Helper()
	b.click("tab", name)
	b.waitUntil(name+" selected", time.Second,
		fmt.Sprintf(`window.__xpt.find('tab', %s).getAttribute('aria-selected') === 'true'`, js(name)))
}

// tabText is the visible text of the tab named name ("Recent calls 2").
func (b *browser) tabText(name string) string {
	b.t.Helper()
	var s string
	b.eval(fmt.Sprintf(`(() => { const e = window.__xpt.find('tab', %s); return e ? e.textContent.replace(/\s+/g, ' ').trim() : ''; })()`, js(name)), &s)
	return s
}

// TestPresenceRecentCallsAndDND: the directory shows live presence (a
// change reaches another user's screen within a second), search and Call;
// unanswered calls leave missed entries, a badge "Recent calls N" until
// the list is opened and "Missed call from …" on the idle screen; Call
// back; do-not-disturb refuses callers ("Do not disturb", kept until
// dismissed) and logs missed calls; after a server restart history and
// do-not-disturb are still there. The observer (1003) runs in Firefox ESR.
func TestPresenceRecentCallsAndDND(t *testing.T) {
	srv := startServer(t, serverOptions{noAnswerTimeout: "5s"})
	// 1003, who watches the others' presence and calls from the directory,
	// is in Firefox ESR; 1001 and 1002 in Chromium.
	a, b, c := newBrowser(t, "1001"), newBrowser(t, "1002"), newBrowser(t, "1003", inFirefox())
	for _, p := range []*browser{a, b, c} {
		p.addScript(recorderJS)
	}
	a.login(srv, "1001")
	b.login(srv, "1002")
	c.login(srv, "1003")

	// Directory: everyone the user may call, with presence; search; Call.
	c.waitItem("Directory", regexp.MustCompile(`^1001 Alice Available Call$`), signalTimeout)
	c.waitItem("Directory", regexp.MustCompile(`^1004 Dave Offline Call$`), signalTimeout)
	c.waitItem("Directory", regexp.MustCompile(`^800 Board Conference room Call$`), signalTimeout)
	if items := c.listItems("Directory"); strings.Contains(strings.Join(items, "|"), "1003 Carol") {
		t.Fatalf("the directory lists the user's own extension: %q", items)
	}
	c.fill("Search", "bo")
	c.waitUntil("search by name", time.Second, listItemsJS("Directory")+`.length === 2`) // Bob, Board
	c.fill("Search", "1002")
	c.waitUntil("search by number", time.Second, listItemsJS("Directory")+`.join('|') === '1002 Bob Available Call'`)
	c.fill("Search", "")

	// Presence: Available → On a call → Available on another user's screen within 1 s.
	// From the click that changes it to another user's screen: within a second.
	connectCall(t, a, b, "1001", "Alice", "1002", "Bob", false, false)
	accepted := b.recordedAt("click", regexp.MustCompile(`^Accept Audio$`))
	took := requireSeenWithin(t, c, "1002", regexp.MustCompile(`^On a call$`), accepted, time.Second)
	t.Logf("1003 saw 1002 On a call %v after 1002 clicked Accept Audio", took)
	c.waitItem("Directory", regexp.MustCompile(`^1001 Alice On a call Call$`), time.Second)
	a.click("button", "Hang up")
	hungUp := a.recordedAt("click", regexp.MustCompile(`^Hang up$`))
	took = requireSeenWithin(t, c, "1001", regexp.MustCompile(`^Available$`), hungUp, time.Second)
	t.Logf("1003 saw 1001 Available again %v after 1001 clicked Hang up", took)
	took = requireSeenWithin(t, c, "1002", regexp.MustCompile(`^Available$`), hungUp, time.Second)
	t.Logf("1003 saw 1002 Available again %v after 1001 clicked Hang up", took)
	a.waitText("status", regexp.MustCompile(`^Call ended$`), signalTimeout)
	a.waitShown(regexp.MustCompile(`^Duration 0:0\d$`), signalTimeout) // the call's duration stays after hang-up

	// Two unanswered calls to 1002: missed, counted on the Recent calls tab.
	c.clickInItem("Directory", "1002 Bob", "Call")
	b.waitUntil("1002 rings", signalTimeout, "window.__xpt.names('dialog').length === 1")
	c.waitItem("Directory", regexp.MustCompile(`^1002 Bob Ringing Call$`), signalTimeout)
	c.click("button", "Hang up")
	b.waitUntil("ringing stopped", signalTimeout, "window.__xpt.names('dialog').length === 0")
	c.dial("1002", false)
	c.waitText("status", regexp.MustCompile(`^No answer$`), 10*time.Second)
	b.waitUntil("badge 2", signalTimeout, fmt.Sprintf(`%s === 'Recent calls 2'`, jsTabText("Recent calls")))
	b.waitShown(regexp.MustCompile(`^Missed call from 1003 Carol$`), signalTimeout)
	b.waitVisible("button", "Call back 1003", time.Second)
	b.openTab("Recent calls")
	b.waitUntil("badge gone once the list is opened", signalTimeout, fmt.Sprintf(`%s === 'Recent calls'`, jsTabText("Recent calls")))
	items := b.listItems("Recent calls")
	if len(items) != 3 || !strings.Contains(items[0], "Missed") || !strings.Contains(items[0], "1003 Carol") ||
		!strings.Contains(items[0], "No answer") || !strings.Contains(items[1], "Missed") ||
		!strings.Contains(items[2], "Incoming") || !strings.Contains(items[2], "1001 Alice") {
		t.Fatalf("1002's recent calls %q, want two missed from 1003 (newest first) and the incoming from 1001", items)
	}
	b.waitUntil("no missed call named once the list was opened", time.Second,
		fmt.Sprintf("!%s.some((s) => /^Missed call from/.test(s))", visibleTextsJS))
	a.openTab("Recent calls")
	a.waitItem("Recent calls", regexp.MustCompile(`^1002 Bob Outgoing · [^·]+ · 0:0\d Call back 1002$`), signalTimeout)

	// Call back from the list.
	b.clickInItem("Recent calls", "1003 Carol", "Call back 1003")
	c.waitUntil("1003 rings", signalTimeout, "window.__xpt.names('dialog').length === 1")
	c.click("button", "Decline")
	b.waitText("status", regexp.MustCompile(`^Declined$`), signalTimeout)

	// Do not disturb: callers are told so (the reason stays until dismissed), the callee logs a missed call.
	b.click("button", "Do not disturb")
	b.waitPressed("Do not disturb", true, signalTimeout)
	c.waitItem("Directory", regexp.MustCompile(`^1002 Bob Do not disturb Call$`), signalTimeout)
	a.dial("1002", false)
	a.waitText("status", regexp.MustCompile(`^Do not disturb$`), signalTimeout)
	if b.isVisible("dialog", "Incoming call") {
		t.Fatal("a do-not-disturb extension rang")
	}
	b.waitItem("Recent calls", regexp.MustCompile(`^1001 Alice Missed · [^·]+ · Do not disturb Call back 1001$`), signalTimeout)
	time.Sleep(3500 * time.Millisecond) // longer than the old 3 s linger: the reason must still be there
	if got := a.text("status"); got != "Do not disturb" {
		t.Fatalf("1001's reason went away by itself: status %q", got)
	}
	a.click("button", "Dismiss")
	a.waitUntil("reason dismissed", time.Second, roleText("status")+" === ''")

	// A restart keeps history and do-not-disturb.
	srv.restart(t)
	b.waitUntil("1002 back after the restart", 20*time.Second, "window.xphone.state().ready")
	b.navigate(srv.URL)
	b.waitVisible("textbox", "Number", signalTimeout)
	b.waitPressed("Do not disturb", true, signalTimeout)
	b.openTab("Recent calls")
	b.waitItem("Recent calls", regexp.MustCompile(`^1001 Alice Missed .*Do not disturb`), signalTimeout)
	if n := len(b.listItems("Recent calls")); n != 5 {
		t.Fatalf("1002 has %d recent calls after the restart, want 5: %q", n, b.listItems("Recent calls"))
	}
	b.click("button", "Do not disturb")
	b.waitPressed("Do not disturb", false, signalTimeout)
	c.waitItem("Directory", regexp.MustCompile(`^1002 Bob Available Call$`), signalTimeout)
}

// jsTabText is JavaScript for the visible text of the tab named name.
func jsTabText(name string) string {
	return fmt.Sprintf(`(() => { const e = window.__xpt.find('tab', %s); return e ? e.textContent.replace(/\s+/g, ' ').trim() : ''; })()`, js(name))
}

// negotiationsJS counts, in every document, the offers and answers each
// RTCPeerConnection applies (window.__negotiations), so a test can tell a
// device switch renegotiated nothing.
const negotiationsJS = `(() => {
  window.__negotiations = 0;
  const proto = RTCPeerConnection.prototype;
  for (const m of ['setLocalDescription', 'setRemoteDescription']) {
    const orig = proto[m];
    proto[m] = function (...args) { window.__negotiations++; return orig.apply(this, args); };
  }
})();`

// chooseOption selects, in the select named name, the option at index
// (negative: from the end) as a user picking it, and returns its value.
func (b *browser) chooseOption(name string, index int) string {
	b.t.Helper()
	b.waitVisible("combobox", name, stepTimeout)
	var v string
	b.eval(fmt.Sprintf(`(() => { const s = [...document.querySelectorAll('select')].find((e) => window.__xpt.nameOf(e) === %s);
	  const i = %d < 0 ? s.options.length + %d : %d; s.focus(); s.value = s.options[i].value;
	  s.dispatchEvent(new Event('input', {bubbles: true})); s.dispatchEvent(new Event('change', {bubbles: true}));
	  return s.value; })()`, js(name), index, index, index), &v)
	return v
}

// selectValue is the value of the select named name.
func (b *browser) selectValue(name string) string {
	b.t.Helper()
	var v string
	b.eval(fmt.Sprintf(`[...document.querySelectorAll('select')].find((e) => window.__xpt.nameOf(e) === %s).value`, js(name)), &v)
	return v
}

// senderLabel is the label of the shown call's sent track of kind.
func (b *browser) senderLabel(kind string) string {
	b.t.Helper()
	var v string
	b.eval(fmt.Sprintf(`(() => { const s = window.xphone.pc().getSenders().find((x) => x.track && x.track.kind === %s);
	  return s ? s.track.label : ''; })()`, js(kind)), &v)
	return v
}

// TestInCallFixesAndDevices: digits typed during a call never touch the
// dial field; a far camera turned off shows the avatar and "Camera off";
// Settings has Microphone, Camera, Speaker and a live Microphone level,
// and switching devices mid-call replaces the tracks without any
// renegotiation, remembered after a reload; the transferred party sees
// who transferred it; the incoming dialog declines on Escape.
func TestInCallFixesAndDevices(t *testing.T) {
	srv := startServer(t, serverOptions{})
	// Three fake cameras: Chromium's second one is a 16-bit depth camera
	// (Y16) that encodes nothing; the third (MJPEG) is a real choice.
	a := newBrowser(t, "1001", withDevices(3))
	a.addScript(negotiationsJS)
	b, c := newBrowser(t, "1002"), newBrowser(t, "1003")
	a.login(srv, "1001")
	b.login(srv, "1002")
	c.login(srv, "1003")
	connectCall(t, a, c, "1001", "Alice", "1003", "Carol", true, true)
	a.requireMediaFlowing(true, mediaTimeout)

	// Digits typed mid-field during the call go out as DTMF only.
	a.eval(`(() => { const el = window.__xpt.find('textbox', 'Number'); el.focus(); el.setSelectionRange(2, 2); return true; })()`, nil)
	a.press("12#")
	c.waitNotice(regexp.MustCompile(`^DTMF 12#$`), signalTimeout)
	a.waitShown(regexp.MustCompile(`^Keys sent: 12#$`), signalTimeout)
	var number string
	a.eval(`window.__xpt.find('textbox', 'Number').value`, &number)
	if number != "1003" {
		t.Fatalf("the Number field holds %q after typing 12# during the call, want the dialled 1003", number)
	}

	// The far camera turned off: avatar and "Camera off", visible and live.
	c.click("button", "Stop video")
	a.waitShown(regexp.MustCompile(`^Camera off$`), signalTimeout)
	a.waitUntil("avatar shown, announced", time.Second, `(() => { const av = document.getElementById('peer-avatar');
	  const off = document.getElementById('camera-off');
	  return window.__xpt.isVisible(av) && off.getAttribute('aria-live') === 'polite'; })()`)
	c.click("button", "Stop video")
	a.waitUntil("Camera off gone", signalTimeout, fmt.Sprintf("!%s.includes('Camera off')", visibleTextsJS))

	// Devices mid-call: no renegotiation, the sent tracks change, media goes on.
	a.click("button", "Settings")
	a.waitVisible("dialog", "Settings", signalTimeout)
	for _, name := range []string{"Microphone", "Camera", "Speaker", "Language"} {
		a.waitVisible("combobox", name, time.Second)
	}
	a.waitUntil("the Microphone level moves", 10*time.Second,
		`Number(window.__xpt.find('meter', 'Microphone level').getAttribute('aria-valuenow')) > 0`)
	var before int
	a.eval(`window.__negotiations`, &before)
	mic, cam := a.senderLabel("audio"), a.senderLabel("video")
	var options []string
	a.eval(`[...document.querySelectorAll('#settings-camera option, #settings-mic option')].map((o) => o.value.slice(0, 8) + ' ' + o.textContent)`, &options)
	t.Logf("1001 sends %q and %q; Settings offers %q", cam, mic, options)
	newCam := a.chooseOption("Camera", -1)
	a.waitUntil("camera replaced", signalTimeout, fmt.Sprintf(`(() => { const s = window.xphone.pc().getSenders()
	  .find((x) => x.track && x.track.kind === 'video'); return s && s.track.label !== %s && s.track.readyState === 'live'; })()`, js(cam)))
	newMic := a.chooseOption("Microphone", -1)
	a.waitUntil("microphone replaced", signalTimeout, fmt.Sprintf(`(() => { const s = window.xphone.pc().getSenders()
	  .find((x) => x.track && x.track.kind === 'audio'); return s && s.track.label !== %s && s.track.readyState === 'live'; })()`, js(mic)))
	var after int
	a.eval(`window.__negotiations`, &after)
	if after != before {
		t.Fatalf("switching camera and microphone applied %d offers/answers, want none", after-before)
	}
	t.Logf("1001 switched to %q and %q without renegotiating", a.senderLabel("video"), a.senderLabel("audio"))
	c.requireMediaFlowing(true, mediaTimeout)
	a.click("button", "Done")
	a.waitGone("dialog", "Settings", time.Second)

	// Transferred by: 1001 puts 1003 through to 1002.
	a.click("button", "Transfer")
	a.fill("Transfer to", "1002")
	a.click("button", "Transfer now")
	b.waitUntil("1002 rings", signalTimeout, "window.__xpt.names('dialog').length === 1")
	if d := b.text("dialog"); !strings.Contains(d, "transferred by 1001 Alice") {
		t.Fatalf("1002's incoming dialog %q does not say who transferred the call", d)
	}
	c.waitShown(regexp.MustCompile(`^Transferred by 1001 Alice$`), signalTimeout)
	b.click("button", "Accept Audio")
	c.waitText("status", regexp.MustCompile(`^Connected to 1002 Bob$`), signalTimeout)
	c.waitShown(regexp.MustCompile(`^Transferred by 1001 Alice$`), time.Second)
	a.waitText("status", regexp.MustCompile(`^Transferred$`), signalTimeout)
	c.click("button", "Hang up")
	b.waitUntil("1002 idle", signalTimeout, idle())

	// Escape declines an incoming call.
	a.dial("1002", false)
	b.waitUntil("1002 rings", signalTimeout, "window.__xpt.names('dialog').length === 1")
	b.press("\x1b")
	a.waitText("status", regexp.MustCompile(`^Declined$`), signalTimeout)
	b.waitUntil("dialog gone", time.Second, "window.__xpt.names('dialog').length === 0")

	// The devices are remembered by this browser.
	a.navigate(srv.URL)
	a.waitVisible("textbox", "Number", signalTimeout)
	a.click("button", "Settings")
	a.waitVisible("dialog", "Settings", signalTimeout)
	a.waitUntil("devices listed", signalTimeout, `document.getElementById('settings-camera').options.length > 2`)
	if got := a.selectValue("Camera"); got != newCam {
		t.Fatalf("Camera after a reload = %q, want the chosen %q", got, newCam)
	}
	if got := a.selectValue("Microphone"); got != newMic {
		t.Fatalf("Microphone after a reload = %q, want the chosen %q", got, newMic)
	}
}

// languageConfig is configTemplate with 1005, an extension with a
// password but without Xphone access (a desk phone's).
var languageConfig = strings.Replace(configTemplate, `  - {number: "1004", name: Dave, password: pw1004, xphone: true}`,
	`  - {number: "1004", name: Dave, password: pw1004, xphone: true}
  - {number: "1005", name: Desk, password: pw1005, xphone: false}`, 1)

// catalogue reads a UI catalogue's plain texts.
func catalogue(t *testing.T, lang string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "web", "ui", "i18n", lang+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for k, v := range raw {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

// shownTextsJS is every text a user sees or hears on the page: visible
// elements' own text, and the accessible labels, titles and placeholders
// of visible elements.
const shownTextsJS = `(() => {
  const out = [];
  for (const e of document.querySelectorAll('body *')) {
    if (!window.__xpt.isVisible(e)) continue;
    const own = [...e.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join('').replace(/\s+/g, ' ').trim();
    if (own) out.push(own);
    for (const a of ['aria-label', 'title', 'placeholder']) if (e.getAttribute(a)) out.push(e.getAttribute(a));
    if (e.tagName === 'OPTION' || e.tagName === 'SELECT') for (const o of e.options || []) out.push(o.textContent.trim());
  }
  return out;
})()`

// requireNoEnglish fails when b shows a text of the English catalogue
// that Russian says differently (what it shows is also logged).
func requireNoEnglish(t *testing.T, b *browser, where string, en, ru map[string]string) {
	t.Helper()
	english := map[string]string{}
	for k, v := range en {
		// Placeholders aside, and the languages' own names (the Language select lists both).
		if ru[k] != v && !strings.Contains(v, "{") && k != "@name" {
			english[v] = k
		}
	}
	var shown []string
	b.eval(shownTextsJS, &shown)
	for _, s := range shown {
		if k, ok := english[s]; ok {
			t.Errorf("%s, %s: shows the English %q (%s)", b.name, where, s, k)
		}
	}
	if len(shown) < 5 {
		t.Fatalf("%s, %s: only %d texts on the page: %q", b.name, where, len(shown), shown)
	}
}

// TestLanguages: a browser set to Russian gets the Russian UI (the login
// button "Войти", every screen with no English left), an English one the
// English UI; reasons the server sends as codes read in each language;
// the right password of an extension without Xphone access is told so;
// the Language select switches at once and is remembered.
func TestLanguages(t *testing.T) {
	en, ru := catalogue(t, "en"), catalogue(t, "ru")
	srv := startServer(t, serverOptions{config: languageConfig})
	r := newBrowser(t, "ru-1001", withLocale("ru-RU"))
	e := newBrowser(t, "en-1002", withLocale("en-US"))

	r.navigate(srv.URL)
	r.waitVisible("button", "Войти", signalTimeout)
	requireNoEnglish(t, r, "login", en, ru)
	e.navigate(srv.URL)
	e.waitVisible("button", "Log in", signalTimeout)

	// Access and credentials, in each language.
	for _, c := range []struct {
		b                *browser
		ext, pw, ext2, s string
		button, want     string
	}{
		{r, "1005", "pw1005", "Внутренний номер", "Пароль", "Войти", "Этому номеру не разрешено пользоваться Xphone"},
		{e, "1005", "pw1005", "Extension", "Password", "Log in", "This extension may not use Xphone"},
		{e, "1005", "wrong", "Extension", "Password", "Log in", "Wrong extension or password"},
		{r, "1001", "wrong", "Внутренний номер", "Пароль", "Войти", "Неверный номер или пароль"},
	} {
		c.b.fill(c.ext2, c.ext)
		c.b.fill(c.s, c.pw)
		c.b.click("button", c.button)
		c.b.waitText("alert", regexp.MustCompile("^"+regexp.QuoteMeta(c.want)+"$"), signalTimeout)
	}

	r.fill("Внутренний номер", "1001")
	r.fill("Пароль", "pw1001")
	r.click("button", "Войти")
	r.waitVisible("textbox", "Номер", signalTimeout)
	r.waitUntil("signalling ready", signalTimeout, "window.xphone.state().ready")
	e.login(srv, "1002")
	r.waitVisible("button", "Аудиозвонок", time.Second)
	r.waitItem("Справочник", regexp.MustCompile(`^1002 Bob Доступен Позвонить$`), signalTimeout)
	requireNoEnglish(t, r, "idle", en, ru)

	// A call both ways: the Russian side in Russian, the English in English.
	e.dial("1001", true)
	r.waitVisible("button", "Ответить с видео", signalTimeout)
	e.waitStatusSeen(regexp.MustCompile(`^Ringing 1001…$`), signalTimeout)
	requireNoEnglish(t, r, "incoming", en, ru)
	r.click("button", "Ответить с видео")
	r.waitText("status", regexp.MustCompile(`^Разговор с 1002 Bob$`), signalTimeout)
	e.waitText("status", regexp.MustCompile(`^Connected to 1001 Alice$`), signalTimeout)
	r.waitVisible("button", "Завершить", time.Second)
	requireNoEnglish(t, r, "in a call", en, ru)
	e.click("button", "Hang up")
	r.waitText("status", regexp.MustCompile(`^Звонок завершён$`), signalTimeout)
	r.waitShown(regexp.MustCompile(`^Длительность 0:0\d$`), time.Second)
	r.fill("Номер", "5555")
	r.click("button", "Аудиозвонок")
	r.waitText("status", regexp.MustCompile(`^Такого номера нет$`), signalTimeout)
	r.openTab("Недавние звонки")
	r.waitItem("Недавние звонки", regexp.MustCompile(`^5555 Исходящий · [^·]+ · Такого номера нет Перезвонить 5555$`), signalTimeout)
	r.waitItem("Недавние звонки", regexp.MustCompile(`^1002 Bob Входящий`), signalTimeout)
	requireNoEnglish(t, r, "recent calls", en, ru)
	r.click("button", "Настройки")
	r.waitVisible("dialog", "Настройки", signalTimeout)
	r.waitVisible("meter", "Уровень микрофона", time.Second)
	requireNoEnglish(t, r, "settings", en, ru)

	// The Language select switches at once, and the choice is remembered.
	r.chooseOption("Язык", 0) // English
	r.waitVisible("button", "Done", time.Second)
	r.click("button", "Done")
	r.waitVisible("button", "Audio call", time.Second)
	r.navigate(srv.URL)
	r.waitVisible("button", "Audio call", signalTimeout)
	r.click("button", "Settings")
	r.chooseOption("Language", 1)
	r.waitVisible("button", "Готово", time.Second)
}
