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

	"xphone/sfu/codec"
	"xphone/sfu/recorder"
	"xphone/sfu/sfutest"
)

// Meetings (issue #16, docs/signaling.md "Meetings"): one three-browser
// session in room 800 proves the features one after another. Alice (1001)
// is an admin, so she moderates; Bob (1002) and Carol (1003, in Firefox
// ESR on a phone-sized screen) are participants. Their fake microphones play 440, 660 and
// 880 Hz tones; who speaks is chosen with Mute microphone.

// screenStubJS stands in for the screen picker: getDisplayMedia returns a
// canvas stream (yellow, with text that changes, 15 fps), and
// window.__stopSharing() ends it as the browser's own "Stop sharing" bar
// does. (In Firefox ESR the UI never saw that stand-in's "ended" event,
// before or after stop(): there the test stops with the Share screen
// button instead.)
const screenStubJS = `(() => {
  const md = navigator.mediaDevices;
  if (!md) return;
  md.getDisplayMedia = async () => {
    const c = document.createElement('canvas');
    c.width = 1280; c.height = 720;
    const g = c.getContext('2d');
    const draw = () => {
      g.fillStyle = '#f2d024'; g.fillRect(0, 0, 1280, 720);
      g.fillStyle = '#111'; g.font = '72px sans-serif'; g.fillText('Slide ' + (Date.now() % 10000), 80, 360);
    };
    draw();
    const timer = setInterval(draw, 66);
    const stream = c.captureStream(15);
    const [track] = stream.getVideoTracks();
    track.addEventListener('ended', () => clearInterval(timer));
    window.__screenTrack = track;
    return stream;
  };
  window.__stopSharing = () => {
    const t = window.__screenTrack;
    if (!t) return false;
    t.stop();
    t.dispatchEvent(new Event('ended'));
    return true;
  };
})();`

// statusSeenJS records every text any role=status element shows, so a
// notice that shows for a few seconds is not missed.
const statusSeenJS = `(() => {
  if (window.__statuses) return;
  window.__statuses = [];
  const note = () => {
    for (const el of document.querySelectorAll('[role="status"]')) {
      const t = (el.textContent || '').replace(/\s+/g, ' ').trim();
      if (t && !el.hidden && !window.__statuses.includes(t)) window.__statuses.push(t);
    }
  };
  new MutationObserver(note).observe(document, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['hidden'] });
})();`

// waitStatus waits until some role=status element has shown text.
func (m *member) waitStatus(text string) {
	m.t.Helper()
	m.waitUntil(fmt.Sprintf("a status %q", text), signalTimeout, fmt.Sprintf(`window.__statuses.includes(%s)`, js(text)))
}

// tileAttr is data-NAME of the visible tile labelled label ("" if none).
func (m *member) tileAttr(label, name string) string {
	m.t.Helper()
	var v string
	m.eval(fmt.Sprintf(`(() => { const t = window.__xpt.find('group', %s); return t ? (t.dataset[%s] || '') : ''; })()`,
		js(label), js(name)), &v)
	return v
}

// sendRaw sends a signalling request on the page's own socket (as a
// tampered client would) and waits for the server's reply to it.
func (m *member) sendRaw(msg map[string]any) string {
	m.t.Helper()
	req := fmt.Sprintf("raw%d", time.Now().UnixNano())
	msg["req"] = req
	msg["call"] = m.callID()
	m.eval(fmt.Sprintf(`window.__conf.ws.send(JSON.stringify(%s)) || true`, jsValue(msg)), nil)
	var reply string
	m.waitUntil("the server's reply to "+req, signalTimeout, fmt.Sprintf(`window.__conf.msgs.some((s) => s.includes(%s))`, js(`"req":"`+req+`"`)))
	m.eval(fmt.Sprintf(`window.__conf.msgs.find((s) => s.includes(%s))`, js(`"req":"`+req+`"`)), &reply)
	return reply
}

func (m *member) callID() string {
	m.t.Helper()
	var id string
	m.eval(`window.xphone.state().callId || ''`, &id)
	return id
}

// memberID is the conference member id of the participant with number.
func (m *member) memberID(number string) string {
	m.t.Helper()
	var id string
	m.eval(fmt.Sprintf(`(window.xphone.conference().roster.find((r) => r.number === %s) || {}).id || ''`, js(number)), &id)
	return id
}

func TestMeetingFeatures(t *testing.T) {
	srv := startServer(t, serverOptions{})
	dir := t.TempDir()
	alice := newMember(t, dir, "1001", "Alice", 440, camRed)
	bob := newMember(t, dir, "1002", "Bob", 660, camGreen)
	carol := newMember(t, dir, "1003", "Carol", 880, camBlue, inFirefox(), withViewport(390, 780))
	all := []*member{alice, bob, carol}
	for _, m := range all {
		m.addScript(statusSeenJS)
		m.addScript(screenStubJS)
		m.login(srv, m.ext)
	}
	const title = "800 · Board"
	alice.joinRoom("800", title, true, false)
	bob.joinRoom("800", title, true, true)
	alice.waitStatus("Bob joined")

	// The title is one clean line that fits a phone.
	carolTitle := func() {
		var fits bool
		carol.eval(`(() => { const s = document.getElementById('call-status');
		  return s.textContent === '800 · Board' && s.scrollWidth <= s.clientWidth + 1; })()`, &fits)
		if !fits {
			t.Fatalf("the title does not fit Carol's phone\npage: %s", carol.describe())
		}
	}

	// Chat: delivered to everyone as text, markup and all; unread badge;
	// the history for Carol, who joins late.
	const evil = `<img src=x onerror="window.__pwned=1"> & <b>hi</b>`
	bob.click("button", "Chat")
	bob.waitVisible("log", "Chat", signalTimeout)
	bob.fill("Message", evil)
	bob.press("\r")
	chatLine := "Bob: " + evil
	for _, m := range []*member{alice, bob} {
		m.waitUntil("the chat line", signalTimeout, fmt.Sprintf(`(() => {
		  const log = document.getElementById('chat-log');
		  return [...log.children].some((p) => p.textContent === %s) && !log.querySelector('img, b');
		})()`, js(chatLine)))
	}
	alice.waitUntil("an unread badge on Chat", signalTimeout, `document.getElementById('chat-toggle').dataset.unread === '1' && !document.getElementById('chat-badge').hidden`)
	carol.joinRoom("800", title, true, true)
	carolTitle()
	for _, m := range []*member{alice, bob} {
		m.waitStatus("Carol joined")
	}
	carol.click("button", "Chat")
	carol.waitVisible("log", "Chat", signalTimeout)
	carol.waitUntil("the chat history", signalTimeout, fmt.Sprintf(`window.__xpt.find('log', 'Chat').textContent.includes(%s)`, js(chatLine)))
	alice.click("button", "Chat")
	alice.waitUntil("the badge cleared", signalTimeout, `document.getElementById('chat-toggle').dataset.unread === '0'`)
	var pwned bool
	for _, m := range all {
		m.eval(`!!window.__pwned`, &pwned)
		if pwned {
			t.Fatalf("%s: the chat ran markup", m.name)
		}
	}
	carol.click("button", "Close chat")
	alice.click("button", "Close chat")

	// Raised hand: seen by the others on the tile and in the Users list.
	carol.click("button", "Raise hand")
	carol.waitUntil("Raise hand pressed", signalTimeout, `window.__xpt.find('button', 'Raise hand').getAttribute('aria-pressed') === 'true'`)
	for _, m := range []*member{alice, bob} {
		m.waitUntil("Carol's hand on her tile", signalTimeout, `(() => { const t = window.__xpt.find('group', 'Participant 1003');
		  return t && t.dataset.hand === 'true' && window.__xpt.isVisible(t.querySelector('.tile-hand')); })()`)
	}
	alice.click("button", "Users 3")
	alice.waitVisible("region", "Users", signalTimeout)
	alice.waitUntil("the hand in the Users panel", signalTimeout, `!!document.querySelector('#people-list [data-hand="true"] [aria-label="Hand raised"]')`)
	alice.click("button", "Users 3") // closes it again

	// Mute icons: Bob joined muted; everyone sees it on his tile.
	for _, m := range []*member{alice, carol} {
		m.waitUntil("Bob's tile shows muted", signalTimeout, `(() => { const t = window.__xpt.find('group', 'Participant 1002');
		  return t && t.dataset.muted === 'true' && window.__xpt.isVisible(t.querySelector('.tile-muted')); })()`)
	}

	// Pinning and layouts: Bob pins Carol's tile (large until unpinned);
	// his speaker layout shows Alice, who speaks, large; then the grid.
	bob.click("button", "Pin 1003")
	bob.waitUntil("Carol pinned large", mediaTimeout, bigJS("Participant 1003"))
	bob.click("button", "Pin 1003")
	bob.waitUntil("the grid again", signalTimeout, gridJS("Participant 1001", "Participant 1003"))
	bob.click("button", "Speaker layout")
	bob.waitUntil("Alice, the speaker, large", mediaTimeout, bigJS("Participant 1001"))
	bob.click("button", "Speaker layout")
	bob.waitUntil("the grid again", signalTimeout, gridJS("Participant 1001", "Participant 1003"))

	// Screen sharing from Firefox: Carol shares (a canvas stands in for the
	// screen); the others get a big "Screen 1003" tile decoding it while
	// the speaker frame keeps working; Carol stops with her button.
	carol.click("button", "Share screen")
	carol.waitUntil("Share screen pressed", signalTimeout, `window.__xpt.find('button', 'Share screen').getAttribute('aria-pressed') === 'true'`)
	for _, m := range []*member{alice, bob} {
		m.waitUntil("Carol's screen shown big", mediaTimeout, bigJS("Screen 1003"))
		m.waitUntil("a tile framed as the speaker", mediaTimeout, `document.querySelectorAll('[data-speaking="true"]').length === 1`)
	}
	if !alice.screenTileYellow("Screen 1003") {
		t.Fatal("the screen tile does not show the shared (yellow) screen")
	}
	carol.click("button", "Share screen")
	carol.waitUntil("Share screen released", signalTimeout, `window.__xpt.find('button', 'Share screen').getAttribute('aria-pressed') === 'false'`)
	for _, m := range []*member{alice, bob} {
		m.waitGone("group", "Screen 1003", signalTimeout)
	}

	// Screen sharing from Chromium, watched in Firefox: Bob shares, Carol
	// sees his screen; the browser's own "Stop sharing" ends it.
	bob.click("button", "Share screen")
	bob.waitUntil("Share screen pressed", signalTimeout, `window.__xpt.find('button', 'Share screen').getAttribute('aria-pressed') === 'true'`)
	alice.waitUntil("Bob's screen shown big", mediaTimeout, bigJS("Screen 1002"))
	carol.waitUntil("Bob's screen playing", mediaTimeout, `(() => { const t = window.__xpt.find('group', 'Screen 1002');
	  const v = t && t.querySelector('video'); return !!v && !v.paused && v.videoWidth > 0; })()`)
	if !carol.screenTileYellow("Screen 1002") {
		t.Fatal("Carol's screen tile does not show Bob's (yellow) screen")
	}
	var stopped bool
	if bob.eval(`window.__stopSharing()`, &stopped); !stopped {
		t.Fatal("Bob's page has no shared screen track to stop")
	}
	bob.waitUntil("Share screen released", signalTimeout, `window.__xpt.find('button', 'Share screen').getAttribute('aria-pressed') === 'false'`)
	for _, m := range []*member{alice, carol} {
		m.waitGone("group", "Screen 1002", signalTimeout)
	}

	// Recording: Alice records while she speaks, then Bob; everyone sees
	// "Recording"; the file holds 440 Hz before 660 Hz.
	alice.click("button", "Record")
	for _, m := range all {
		m.waitVisible("status", "Recording", signalTimeout)
	}
	time.Sleep(2500 * time.Millisecond) // the beep, then Alice
	alice.setMic(true)
	bob.setMic(false)
	time.Sleep(2500 * time.Millisecond)
	alice.click("button", "Record")
	for _, m := range all {
		m.waitGone("status", "Recording", signalTimeout)
	}
	requireRecordingInOrder(t, filepath.Join(srv.opts.DataDir, "recordings"), 440, 660)
	requireAdminListsRecording(t, srv, alice)

	// Moderation: Bob cannot, in the UI or on the wire; Alice can.
	bob.click("button", "Users 3")
	bob.waitVisible("region", "Users", signalTimeout)
	for _, name := range []string{"Mute 1001", "Remove 1003", "Lock room"} {
		if bob.isVisible("button", name) {
			t.Fatalf("Bob is offered %q", name)
		}
	}
	if reply := bob.sendRaw(map[string]any{"type": "moderate", "action": "mute", "member": alice.memberID("1001"), "on": true}); !strings.Contains(reply, `"code":"not_allowed"`) {
		t.Fatalf("Bob's raw mute got %s", reply)
	}
	if reply := bob.sendRaw(map[string]any{"type": "moderate", "action": "lock", "on": true}); !strings.Contains(reply, `"code":"not_allowed"`) {
		t.Fatalf("Bob's raw lock got %s", reply)
	}
	var modMuted bool
	alice.eval(`!!window.xphone.conference().roster.find((r) => r.number === '1001').mod_muted`, &modMuted)
	if modMuted || alice.isVisible("status", "Muted by moderator") || strings.Contains(srv.logs.String(), `msg="moderator action" room=800 action=mute`) {
		t.Fatal("a refused mute took effect")
	}
	alice.click("button", "Users 3")
	alice.click("button", "Mute 1002")
	bob.waitVisible("status", "Muted by moderator", signalTimeout)
	bob.waitUntil("Bob's microphone off", signalTimeout, `window.__xpt.find('button', 'Mute microphone').getAttribute('aria-pressed') === 'true'`)
	carol.waitUntil("Bob's tile muted", signalTimeout, `window.__xpt.find('group', 'Participant 1002').dataset.muted === 'true'`)
	alice.click("button", "Remove 1003")
	carol.waitText("status", regexp.MustCompile(`^Removed from the conference$`), signalTimeout)
	alice.click("button", "Lock room")
	alice.waitUntil("Lock room pressed", signalTimeout, `window.__xpt.find('button', 'Lock room').getAttribute('aria-pressed') === 'true'`)
	carol.dial("800", true)
	carol.waitText("status", regexp.MustCompile(`^The room is locked$`), signalTimeout)
	for _, want := range []string{`msg="moderator action" room=800 action=mute on=true by=1001`, `action=remove on=true by=1001`, `action=lock on=true by=1001`} {
		if !strings.Contains(srv.logs.String(), want) {
			t.Errorf("the server log lacks %q", want)
		}
	}
	bob.click("button", "Hang up")
	alice.waitStatus("Bob left")
}

// requireRecordingInOrder decodes the room's one recording and checks
// the beep and then the tones, in order.
func requireRecordingInOrder(t *testing.T, dir string, freqs ...float64) {
	t.Helper()
	var list []recorder.Info
	deadline := time.Now().Add(5 * time.Second)
	for {
		list, _ = recorder.List(dir)
		if len(list) == 1 && list[0].Duration > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(list) != 1 || !list[0].Video {
		t.Fatalf("recordings in %s: %+v, want one with video", dir, list)
	}
	data, err := os.ReadFile(filepath.Join(dir, list[0].Name+".ogg"))
	if err != nil {
		t.Fatal(err)
	}
	o, err := recorder.ReadOggOpus(data)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := codec.NewOpusDecoder(codec.OpusSampleRate, o.Channels)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]int16, codec.MaxOpusFrameSamples(codec.OpusSampleRate))
	var pcm []int16
	for _, p := range o.Packets {
		n, err := dec.Decode(p, buf)
		if err != nil {
			t.Fatal(err)
		}
		pcm = append(pcm, buf[:n]...)
	}
	loudest := func(f float64) (float64, float64) {
		best, at := -200.0, -1.0
		for i := 0; i+24000 <= len(pcm); i += 12000 {
			if db := sfutest.ToneDB(pcm[i:i+24000], f); db > best {
				best, at = db, float64(i)/48000
			}
		}
		return at, best
	}
	// The beep opens the recording, before Bob takes over from Alice
	// 2.5 s after "Recording" shows. Its offset in the file follows the
	// mixer's tick under load (1.2 s in a busy CI run with three
	// browsers), so it is bounded by that switch, not by 1 s.
	beep, db := loudest(1400)
	t.Logf("recording: the start beep loudest at %.1f s (%.1f dB)", beep, db)
	if db < -35 || beep > 2 {
		t.Fatalf("the start beep: %.1f dB at %.1f s, want it in the first 2 s", db, beep)
	}
	last := -1.0
	for _, f := range freqs {
		at, db := loudest(f)
		t.Logf("recording: %.0f Hz loudest at %.1f s (%.1f dB) of %.1f s", f, at, db, o.Duration())
		if db < -40 || at <= last {
			t.Fatalf("%.0f Hz at %.1f s (%.1f dB), after %.1f s", f, at, db, last)
		}
		last = at
	}
}

// requireAdminListsRecording opens the admin page in Alice's second tab:
// the recording is listed with its duration and size, and its WebM plays
// in Chromium.
func requireAdminListsRecording(t *testing.T, srv *testServer, alice *member) {
	t.Helper()
	admin := alice.secondTab("alice-admin")
	admin.navigate(srv.URL + "admin/")
	admin.waitUntil("the recording listed", signalTimeout, `(() => {
	  const s = document.querySelector('section[aria-label="Recordings"]');
	  return !!s && /800/.test(s.textContent) && /\d+s/.test(s.textContent) && /[KM]iB/.test(s.textContent) &&
	    !!s.querySelector('a[href$=".ogg"]') && !!s.querySelector('a[href$=".webm"]');
	})()`)
	var href string
	admin.eval(`document.querySelector('section[aria-label="Recordings"] a[href$=".webm"]').getAttribute('href')`, &href)
	admin.close()
	// The admin page reloads itself every few seconds: play the file in the softphone's tab.
	var ok bool
	if err := alice.evalInto(fmt.Sprintf(`(async () => {
	  const resp = await fetch(%s);
	  if (resp.status !== 200 || resp.headers.get('content-type') !== 'video/webm') return false;
	  const v = document.createElement('video');
	  v.muted = true;
	  v.src = URL.createObjectURL(await resp.blob());
	  v.style.cssText = 'position:fixed;width:64px;height:36px;left:0;bottom:0;opacity:.01';
	  document.body.append(v);
	  await v.play().catch(() => {});
	  for (let i = 0; i < 50 && !(v.videoWidth > 0); i++) await new Promise((r) => setTimeout(r, 100));
	  const w = v.videoWidth;
	  v.remove();
	  return w > 0;
	})()`, js("admin/"+href)), &ok); err != nil || !ok {
		t.Fatalf("the recorded WebM does not play in Chromium (%v)", err)
	}
}

// screenTileYellow tells whether the tile labelled label shows the
// shared (yellow) screen of screenStubJS.
func (m *member) screenTileYellow(label string) bool {
	m.t.Helper()
	var yellow bool
	m.eval(fmt.Sprintf(`(() => { const v = window.__xpt.find('group', %s).querySelector('video');
	  const c = document.createElement('canvas'); c.width = 16; c.height = 9;
	  const g = c.getContext('2d'); g.drawImage(v, 0, 0, 16, 9);
	  const d = g.getImageData(0, 0, 16, 9).data; let r = 0, gr = 0, b = 0;
	  for (let i = 0; i < d.length; i += 4) { r += d[i]; gr += d[i + 1]; b += d[i + 2]; }
	  return r > b * 2 && gr > b * 2; })()`, js(label)), &yellow)
	return yellow
}

// gridJS is true when the tiles labelled a and b are both visible, under
// the grid layout, and neither is more than twice the other's size.
func gridJS(a, b string) string {
	return fmt.Sprintf(`(() => {
	  const ta = window.__xpt.find('group', %s), tb = window.__xpt.find('group', %s);
	  if (!ta || !tb || document.getElementById('stage').dataset.layout !== 'grid') return false;
	  const area = (e) => { const r = e.getBoundingClientRect(); return r.width * r.height; };
	  return area(ta) < 2 * area(tb) && area(tb) < 2 * area(ta);
	})()`, js(a), js(b))
}

// jsValue writes v as a JavaScript literal (JSON).
func jsValue(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// remoteColourJS is the average colour of the 1:1 call's remote video
// while it is labelled label (null otherwise).
func remoteColourJS(label string) string {
	return fmt.Sprintf(`(() => {
	  const v = document.querySelector('video.remote-video');
	  if (!v || v.getAttribute('aria-label') !== %s || !(v.videoWidth > 0)) return null;
	  const c = document.createElement('canvas'); c.width = 16; c.height = 9;
	  const g = c.getContext('2d'); g.drawImage(v, 0, 0, 16, 9);
	  const d = g.getImageData(0, 0, 16, 9).data; const s = [0, 0, 0];
	  for (let i = 0; i < d.length; i += 4) { s[0] += d[i]; s[1] += d[i + 1]; s[2] += d[i + 2]; }
	  return s.map((x) => Math.round(x / (d.length / 4)));
	})()`, js(label))
}

// TestScreenShareInVideoCall: in a 1:1 video call the screen goes out
// instead of the camera; the other side (Bob, in Firefox ESR) names the
// picture "Screen 1001" and sees the screen, then, after the browser's Stop
// sharing, the camera again.
func TestScreenShareInVideoCall(t *testing.T) {
	srv := startServer(t, serverOptions{})
	dir := t.TempDir()
	alice := newMember(t, dir, "1001", "Alice", 0, camRed)
	bob := newMember(t, dir, "1002", "Bob", 0, camGreen, inFirefox())
	alice.addScript(screenStubJS)
	alice.login(srv, "1001")
	bob.login(srv, "1002")
	connectCall(t, alice.browser, bob.browser, "1001", "Alice", "1002", "Bob", true, true)
	isYellow := func(c []float64) bool { return len(c) == 3 && c[0] > 2*c[2] && c[1] > 2*c[2] }
	colour := func(label string, want func([]float64) bool, what string) {
		deadline := time.Now().Add(mediaTimeout)
		for {
			var c []float64
			bob.eval(remoteColourJS(label), &c)
			if want(c) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("Bob's remote video %q shows %v, want %s\npage: %s", label, c, what, bob.describe())
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	colour("Remote video", func(c []float64) bool { return closestCamera(c) == "red" }, "Alice's red camera")
	alice.click("button", "Share screen")
	alice.waitUntil("Share screen pressed", signalTimeout, `window.__xpt.find('button', 'Share screen').getAttribute('aria-pressed') === 'true'`)
	colour("Screen 1001", isYellow, "Alice's yellow screen")
	if stopped := false; alice.evalInto(`window.__stopSharing()`, &stopped) != nil || !stopped {
		t.Fatal("Alice's page has no shared screen track to stop")
	}
	alice.waitUntil("Share screen released", signalTimeout, `window.__xpt.find('button', 'Share screen').getAttribute('aria-pressed') === 'false'`)
	colour("Remote video", func(c []float64) bool { return closestCamera(c) == "red" }, "Alice's camera again")
}
