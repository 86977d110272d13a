package e2e

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Conference rooms (SPEC F20–F24, docs/signaling.md "Conference rooms").
// Each participant is its own Chromium whose fake microphone plays a WAV
// made by the test (a tone, or silence) and whose fake camera shows its own
// colour, so the tests can tell who speaks and whose video a tile plays.
// Who speaks is controlled with the Mute microphone button: a disabled
// track sends silence.

// speakerSwitchLimit is how soon the blue frame must follow the speech.
const speakerSwitchLimit = time.Second

// toneDBFS is the level of the speaking participants' tones.
const toneDBFS = -12

// conferenceProbeJS records, in page time (Date.now(); all browsers share the
// machine's clock), when the page's RTCPeerConnection got connected, when a
// call button and Mute microphone were last clicked, when each tile first
// appeared (the participant is in the room), and every time a tile became
// the framed (data-speaking="true") one. It needs no polling, so the
// latencies are exact to the millisecond.
const conferenceProbeJS = `(() => {
  if (window.__conf) return;
  const rec = { connectedAt: 0, dialAt: 0, micAt: 0, framed: [], appeared: {} };
  window.__conf = rec;
  const Orig = window.RTCPeerConnection;
  if (typeof Orig === 'function') {
    const Probe = function (...args) {
      const pc = new Orig(...args);
      pc.addEventListener('connectionstatechange', () => {
        if (pc.connectionState === 'connected' && !rec.connectedAt) rec.connectedAt = Date.now();
      });
      return pc;
    };
    Probe.prototype = Orig.prototype;
    window.RTCPeerConnection = Probe;
  }
  // The conference messages the page received, for failure reports.
  const OrigWS = window.WebSocket;
  rec.msgs = [];
  window.WebSocket = function (...args) {
    const ws = new OrigWS(...args);
    rec.ws = ws; // the page's socket: tests send raw requests on it
    ws.addEventListener('message', (ev) => {
      try {
        const m = JSON.parse(ev.data);
        if (m.sdp) m.sdp = '(' + m.sdp.length + ' bytes)';
        rec.msgs.push(Date.now() + ' ' + JSON.stringify(m));
        if (rec.msgs.length > 300) rec.msgs.shift();
      } catch (e) { /* not JSON */ }
    });
    return ws;
  };
  window.WebSocket.prototype = OrigWS.prototype;
  for (const k of ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED']) window.WebSocket[k] = OrigWS[k];
  document.addEventListener('click', (ev) => {
    const on = (name) => ev.target.closest && ev.target.closest('button') &&
      window.__xpt.nameOf(ev.target.closest('button')) === name;
    if (on('Mute microphone')) rec.micAt = Date.now();
    if (on('Video call') || on('Audio call')) rec.dialAt = Date.now();
  }, true);
  const note = (el) => {
    if (!el.getAttribute || !el.hasAttribute('data-speaking')) return;
    const label = el.getAttribute('aria-label');
    if (!(label in rec.appeared)) rec.appeared[label] = Date.now();
    if (el.getAttribute('data-speaking') === 'true') rec.framed.push({ label, t: Date.now() });
  };
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === 'attributes') note(r.target);
      for (const n of r.addedNodes || []) {
        if (n.nodeType !== 1) continue;
        note(n);
        n.querySelectorAll('[data-speaking]').forEach(note);
      }
    }
  }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-speaking'] });
})();`

// tilesJS describes the visible conference tiles and the page's received
// video: per inbound-rtp video stream its mid and decoded frames, per tile
// its name, whether it is framed (and in blue), and the video it plays:
// which transceiver (mid) feeds it, how many frames that one decoded, and
// the picture's average colour.
const tilesJS = `(async () => {
  const pc = window.xphone && window.xphone.pc();
  const out = { inbound: [], tiles: [] };
  const frames = new Map();
  if (pc) {
    (await pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') {
        out.inbound.push({ mid: s.mid || '', track: s.trackIdentifier || '', frames: s.framesDecoded || 0 });
      }
    });
  }
  const colour = (v) => {
    try {
      const c = document.createElement('canvas');
      c.width = 32; c.height = 18;
      const g = c.getContext('2d', { willReadFrequently: true });
      g.drawImage(v, 0, 0, 32, 18);
      const d = g.getImageData(0, 0, 32, 18).data;
      const sum = [0, 0, 0];
      for (let i = 0; i < d.length; i += 4) { sum[0] += d[i]; sum[1] += d[i + 1]; sum[2] += d[i + 2]; }
      const n = d.length / 4;
      return sum.map((x) => Math.round(x / n));
    } catch (e) { return null; }
  };
  const tiles = [...document.querySelectorAll('[data-speaking]')].filter((e) => window.__xpt.isVisible(e));
  for (const el of tiles) {
    const cs = getComputedStyle(el);
    const t = {
      label: el.getAttribute('aria-label') || '', role: el.getAttribute('role') || '',
      speaking: el.dataset.speaking, border: cs.borderTopColor, borderWidth: parseFloat(cs.borderTopWidth) || 0,
      width: Math.round(el.getBoundingClientRect().width), text: (el.textContent || '').replace(/\s+/g, ' ').trim(),
      mid: '', frames: -1, videoWidth: 0, playing: false, color: null,
    };
    const v = el.querySelector('video');
    if (v && v.srcObject && window.__xpt.isVisible(v)) {
      const track = v.srcObject.getVideoTracks()[0];
      const tr = pc && track ? pc.getTransceivers().find((x) => x.receiver && x.receiver.track === track) : null;
      t.mid = tr ? tr.mid || '' : '';
      const st = out.inbound.find((s) => (t.mid && s.mid === t.mid) || (track && s.track === track.id));
      t.frames = st ? st.frames : -1;
      t.videoWidth = v.videoWidth;
      t.playing = !v.paused && v.videoWidth > 0;
      if (t.playing) t.color = colour(v);
    }
    out.tiles.push(t);
  }
  return out;
})()`

// tileInfo is one tile of tilesJS.
type tileInfo struct {
	Label       string    `json:"label"`
	Role        string    `json:"role"`
	Speaking    string    `json:"speaking"`
	Border      string    `json:"border"`
	BorderWidth float64   `json:"borderWidth"`
	Width       int       `json:"width"`
	Text        string    `json:"text"`
	Mid         string    `json:"mid"`
	Frames      float64   `json:"frames"`
	VideoWidth  int       `json:"videoWidth"`
	Playing     bool      `json:"playing"`
	Color       []float64 `json:"color"`
}

// tilesPicture is the result of tilesJS.
type tilesPicture struct {
	Inbound []struct {
		Mid    string  `json:"mid"`
		Track  string  `json:"track"`
		Frames float64 `json:"frames"`
	} `json:"inbound"`
	Tiles []tileInfo `json:"tiles"`
}

func (p tilesPicture) tile(label string) (tileInfo, bool) {
	for _, t := range p.Tiles {
		if t.Label == label {
			return t, true
		}
	}
	return tileInfo{}, false
}

// remoteLabels lists the "Participant N" tiles.
func (p tilesPicture) remoteLabels() []string {
	var out []string
	for _, t := range p.Tiles {
		if strings.HasPrefix(t.Label, "Participant ") {
			out = append(out, t.Label)
		}
	}
	return out
}

// framesOf returns the decoded frames of the inbound video with mid.
func (p tilesPicture) framesOf(mid string) float64 {
	for _, s := range p.Inbound {
		if s.Mid == mid {
			return s.Frames
		}
	}
	return -1
}

func (b *browser) tiles() tilesPicture {
	b.t.Helper()
	var p tilesPicture
	b.eval(tilesJS, &p)
	return p
}

// closestCamera names the camera colour nearest to c ("" when none is near).
func closestCamera(c []float64) string {
	if len(c) < 3 {
		return ""
	}
	best, bestD := "", math.Inf(1)
	for name, cam := range map[string]rgb{"red": camRed, "green": camGreen, "blue": camBlue} {
		d := math.Sqrt(math.Pow(c[0]-cam.R, 2) + math.Pow(c[1]-cam.G, 2) + math.Pow(c[2]-cam.B, 2))
		if d < bestD {
			best, bestD = name, d
		}
	}
	if bestD > 110 {
		return ""
	}
	return best
}

func cameraName(c rgb) string {
	switch c {
	case camRed:
		return "red"
	case camGreen:
		return "green"
	default:
		return "blue"
	}
}

// member is one participant of a conference test.
type member struct {
	*browser
	ext, name string
	camera    rgb
}

// newMember starts a participant's browser: its microphone plays a tone of
// tone Hz (0 = silence), its camera shows the colour camera.
func newMember(t *testing.T, dir, ext, name string, tone float64, camera rgb, opts ...launchOption) *member {
	t.Helper()
	opts = append([]launchOption{withTone(tone, toneDBFS), withCamera(camera), withRawAudio()}, opts...)
	b := newBrowser(t, ext, opts...)
	b.addScript(conferenceProbeJS)
	m := &member{browser: b, ext: ext, name: name, camera: camera}
	t.Cleanup(m.dumpMessages) // before the browser closes (cleanups run LIFO)
	return m
}

// dumpMessages logs the signalling messages the page received when the test failed.
func (m *member) dumpMessages() {
	if !m.t.Failed() {
		return
	}
	var msgs []string
	if err := m.evalInto(`window.__conf ? window.__conf.msgs : []`, &msgs); err != nil {
		m.t.Logf("%s: no message log: %v", m.name, err)
		return
	}
	m.t.Logf("---- %s: messages received ----\n%s", m.name, strings.Join(msgs, "\n"))
}

// joinRoom dials room (video or audio) and waits until the status names the room.
func (m *member) joinRoom(room, title string, video, muted bool) {
	m.t.Helper()
	m.dial(room, video)
	if muted {
		// The in-call controls show at once; muting now means no speech is ever sent.
		m.muteEarly()
	}
	m.waitText("status", regexp.MustCompile("^"+regexp.QuoteMeta(title)+"$"), signalTimeout)
	m.waitUntil("media connected", mediaTimeout, "window.xphone.pc() && window.xphone.pc().connectionState === 'connected'")
}

// muteEarly presses Mute microphone while the call is still being set up.
// The controls may move under the pointer then (the conference layout
// arrives with the room's first message, on a phone-sized window most of
// all), so a press that missed is repeated, as a user would tap again.
func (m *member) muteEarly() {
	m.t.Helper()
	const muted = `window.__xpt.find('button', 'Mute microphone').getAttribute('aria-pressed') === 'true'`
	for try := 1; ; try++ {
		m.click("button", "Mute microphone")
		deadline := time.Now().Add(time.Second)
		var ok bool
		for !ok && time.Now().Before(deadline) {
			m.eval(muted, &ok)
			if !ok {
				time.Sleep(50 * time.Millisecond)
			}
		}
		if ok {
			return
		}
		if try == 3 {
			m.t.Fatalf("%s: Mute microphone not pressed after %d clicks\npage: %s", m.ext, try, m.describe())
		}
		m.t.Logf("%s: the click on Mute microphone missed (the layout moved); clicking again", m.ext)
	}
}

// setMic clicks Mute microphone when its state differs from muted and
// returns the page time of the click.
func (m *member) setMic(muted bool) int64 {
	m.t.Helper()
	want := fmt.Sprint(muted)
	if m.pressed("Mute microphone") == want {
		m.t.Fatalf("%s: Mute microphone is already %s", m.name, want)
	}
	m.click("button", "Mute microphone")
	m.waitUntil("Mute microphone "+want, time.Second, fmt.Sprintf(
		`window.__xpt.find('button', 'Mute microphone').getAttribute('aria-pressed') === %s`, js(want)))
	var at int64
	m.eval(`window.__conf.micAt`, &at)
	return at
}

// framedJS is true when exactly one visible tile is framed and it is label.
func framedJS(label string) string {
	return fmt.Sprintf(`(() => {
	  const on = [...document.querySelectorAll('[data-speaking="true"]')].filter((e) => window.__xpt.isVisible(e));
	  return on.length === 1 && on[0].getAttribute('aria-label') === %s;
	})()`, js(label))
}

// waitFramed waits until label is the framed tile and returns how long after
// since (page time, ms) it first became framed, according to the probe.
func (m *member) waitFramed(label string, since int64, timeout time.Duration) time.Duration {
	m.t.Helper()
	m.waitUntil(fmt.Sprintf("tile %q framed as the dominant speaker", label), timeout, framedJS(label))
	var at int64
	m.eval(fmt.Sprintf(`(() => { const e = window.__conf.framed.find((f) => f.label === %s && f.t >= %d);
	  return e ? e.t : 0; })()`, js(label), since), &at)
	if at == 0 {
		m.t.Fatalf("%s: the probe saw no framing of %q after t=%d", m.name, label, since)
	}
	return time.Duration(at-since) * time.Millisecond
}

// requireFramedSoonAfterJoin checks that the speaking participant o, who
// just joined unmuted, is framed on m's screen within speakerSwitchLimit of
// the moment o could be heard (o's tile on m's screen and o's media
// connected), and logs the latency (also from o's dial click).
func (m *member) requireFramedSoonAfterJoin(o *member) {
	m.t.Helper()
	label := "Participant " + o.ext
	m.waitUntil(label+" tile", signalTimeout, fmt.Sprintf(`window.__conf.appeared[%s] > 0`, js(label)))
	o.waitUntil(o.ext+"'s media connected", mediaTimeout, `window.__conf.connectedAt > 0`)
	var joined, dialAt, connectedAt int64
	m.eval(fmt.Sprintf(`window.__conf.appeared[%s]`, js(label)), &joined)
	o.eval(`window.__conf.dialAt`, &dialAt)
	o.eval(`window.__conf.connectedAt`, &connectedAt)
	// The speech can reach the server only once the speaker's media is
	// connected, and the tile can appear before that (the roster is
	// signalled at join; Firefox's ICE+DTLS takes ≈1 s longer under load),
	// so the frame's latency counts from whichever came later. Both
	// browsers run on this host: their Date.now() clocks agree.
	since := max(joined, connectedAt)
	at := joined + m.waitFramed(label, joined, 5*time.Second).Milliseconds()
	lat := time.Duration(max(at-since, 0)) * time.Millisecond
	m.t.Logf("speaker latency: %s sees %s framed %v after it could speak (%v after the tile appeared, %v after %s clicked Video call)",
		m.ext, o.ext, lat, time.Duration(at-joined)*time.Millisecond, time.Duration(at-dialAt)*time.Millisecond, o.ext)
	if lat > speakerSwitchLimit {
		m.t.Errorf("%s: %s framed %v after its media connected and its tile appeared, want ≤ %v", m.ext, o.ext, lat, speakerSwitchLimit)
	}
}

// requireBlueFrame checks the framed tile's border is blue and the others'
// is not, and that every tile says data-speaking "true" or "false".
func (m *member) requireBlueFrame(label string) {
	m.t.Helper()
	var marked bool
	m.eval(`[...document.querySelectorAll('[aria-label^="Participant "], [aria-label="You"]')]
	  .filter((e) => window.__xpt.isVisible(e))
	  .every((e) => e.dataset.speaking === 'true' || e.dataset.speaking === 'false')`, &marked)
	if !marked {
		m.t.Fatalf("%s: a tile lacks data-speaking=\"true\"|\"false\"\npage: %s", m.name, m.describe())
	}
	blue := regexp.MustCompile(`^rgba?\((\d+), (\d+), (\d+)`)
	for _, t := range m.tiles().Tiles {
		c := blue.FindStringSubmatch(t.Border)
		isBlue := false
		if c != nil {
			var r, g, b int
			fmt.Sscan(c[1], &r)
			fmt.Sscan(c[2], &g)
			fmt.Sscan(c[3], &b)
			isBlue = b > r+80 && b > g+40 && !strings.HasPrefix(t.Border, "rgba(") && t.BorderWidth >= 2
		}
		if (t.Label == label) != isBlue {
			m.t.Fatalf("%s: tile %q border %s %.0fpx (framed: %v), want a blue frame only on %q",
				m.name, t.Label, t.Border, t.BorderWidth, t.Label == label, label)
		}
	}
}

// requireRemoteVideos checks that exactly len(want) received videos decode
// (framesDecoded increasing) and that the tiles named in want each play one
// of them, showing that participant's camera colour.
func (m *member) requireRemoteVideos(want map[string]rgb, timeout time.Duration) tilesPicture {
	m.t.Helper()
	first := m.tiles()
	deadline := time.Now().Add(timeout)
	for {
		time.Sleep(500 * time.Millisecond)
		last := m.tiles()
		problem := ""
		decoding := 0
		for _, s := range last.Inbound {
			if s.Frames > first.framesOf(s.Mid) && first.framesOf(s.Mid) >= 0 {
				decoding++
			}
		}
		if decoding != len(want) {
			problem = fmt.Sprintf("%d inbound videos decoding, want %d", decoding, len(want))
		}
		mids := map[string]string{}
		for label, cam := range want {
			t, ok := last.tile(label)
			switch {
			case !ok:
				problem = fmt.Sprintf("no tile %q", label)
			case t.Mid == "" || !t.Playing:
				problem = fmt.Sprintf("tile %q plays no received video", label)
			case t.Frames <= first.framesOf(t.Mid):
				problem = fmt.Sprintf("tile %q: video (mid %s) decodes no new frames", label, t.Mid)
			case closestCamera(t.Color) != cameraName(cam):
				problem = fmt.Sprintf("tile %q shows colour %v (%q), want %s's camera", label, t.Color, closestCamera(t.Color), cameraName(cam))
			case mids[t.Mid] != "":
				problem = fmt.Sprintf("tiles %q and %q play the same video (mid %s)", mids[t.Mid], label, t.Mid)
			}
			if ok {
				mids[t.Mid] = label
			}
		}
		if problem == "" {
			var parts []string
			for label := range want {
				t, _ := last.tile(label)
				parts = append(parts, fmt.Sprintf("%s: mid %s frames %v→%v %v", label, t.Mid, first.framesOf(t.Mid), t.Frames, t.Color))
			}
			m.t.Logf("%s: remote videos: %s", m.name, strings.Join(parts, "; "))
			return last
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("%s: %s within %v\nfirst: %+v\nlast: %+v", m.name, problem, timeout, first, last)
		}
		first = last
	}
}

// requireUsers checks the Users badge shows n and its tooltip (on hover)
// lists everyone in people; it returns the tooltip's text.
func (m *member) requireUsers(n int, people ...string) string {
	m.t.Helper()
	name := fmt.Sprintf("Users %d", n)
	m.waitVisible("button", name, signalTimeout)
	if len(people) == 0 {
		return ""
	}
	m.hover("button", name)
	m.waitUntil("Users tooltip shown", 2*time.Second, `window.__xpt.names('tooltip').length === 1`)
	text := m.text("tooltip")
	for _, p := range people {
		if !strings.Contains(text, p) {
			m.t.Fatalf("%s: the Users tooltip shows %q, want it to list %q", m.name, text, p)
		}
	}
	m.hoverText("Xphone") // away again: the tooltip closes
	m.waitUntil("Users tooltip hidden", 2*time.Second, `window.__xpt.names('tooltip').length === 0`)
	return text
}

// requireNoHoldTransfer: rooms offer neither hold nor transfer (F24).
func (m *member) requireNoHoldTransfer() {
	m.t.Helper()
	var names []string
	m.eval(`window.__xpt.names('button')`, &names)
	for _, n := range names {
		if regexp.MustCompile(`(?i)hold|transfer`).MatchString(n) {
			m.t.Fatalf("%s: button %q offered in a conference", m.name, n)
		}
	}
	for _, n := range []string{"Mute microphone", "Mute sound", "Hang up"} {
		m.waitVisible("button", n, time.Second)
	}
}

// TestConferenceAllVideo: three participants in room 800 (everyone's video
// to everyone): two remote videos in tiles, the Users badge, the blue frame
// following the speaker within a second, the audio mix, and a leave. Run
// in Chromium, and with Alice (the first speaker, who sees and is seen by
// the two others) in Firefox ESR.
func TestConferenceAllVideo(t *testing.T) {
	for _, e := range engines {
		t.Run("alice-in-"+string(e), func(t *testing.T) { conferenceAllVideo(t, e) })
	}
}

func conferenceAllVideo(t *testing.T, aliceIn engine) {
	srv := startServer(t, serverOptions{})
	dir := t.TempDir()
	alice := newMember(t, dir, "1001", "Alice", 440, camRed, inEngine(aliceIn))
	bob := newMember(t, dir, "1002", "Bob", 660, camGreen)
	carol := newMember(t, dir, "1003", "Carol", 0, camBlue)
	all := []*member{alice, bob, carol}
	for _, m := range all {
		m.login(srv, m.ext)
	}

	const title = "800 · Board"
	start := time.Now()
	carol.joinRoom("800", title, true, false)
	bob.joinRoom("800", title, true, true) // Bob starts muted
	alice.joinRoom("800", title, true, false)
	t.Logf("three participants joined in %v", time.Since(start).Round(time.Millisecond))

	// Alice speaks (unmuted from the start): her tile is framed on Bob's and
	// Carol's screens within 1 s of her tile appearing there, i.e. of the
	// room telling them she is in.
	for _, m := range []*member{bob, carol} {
		m.requireFramedSoonAfterJoin(alice)
		m.requireBlueFrame("Participant 1001")
	}
	alice.waitUntil("Alice sees herself framed", signalTimeout, framedJS("You"))
	alice.requireBlueFrame("You")

	// Everyone decodes the two others' videos, each in its tile.
	for _, m := range all {
		want := map[string]rgb{}
		for _, o := range all {
			if o != m {
				want["Participant "+o.ext] = o.camera
			}
		}
		m.requireRemoteVideos(want, mediaTimeout)
		if got := m.tiles().remoteLabels(); len(got) != 2 {
			t.Fatalf("%s: remote tiles %q, want two", m.ext, got)
		}
		m.waitVisible("group", "You", time.Second)
		m.requireUsers(3, "1001 Alice", "1002 Bob", "1003 Carol")
		m.requireNoHoldTransfer()
		m.requireTimerRuns()
	}

	// Carol (silent) hears the mix.
	carol.requireMediaFlowing(false, mediaTimeout)
	// …and, as the server's SDP asks (usedtx=1), her browser stops sending
	// 50 audio packets a second while she is silent; Alice, talking, does not.
	requireDTX(t, carol, alice)

	// The speaker changes: Alice mutes, Bob unmutes.
	muteAt := alice.setMic(true)
	unmuteAt := bob.setMic(false)
	for _, m := range []*member{alice, carol} {
		lat := m.waitFramed("Participant 1002", unmuteAt, 5*time.Second)
		t.Logf("speaker switch latency: %s sees 1002 framed %v after 1002 unmuted (%v after 1001 muted)",
			m.ext, lat, lat+time.Duration(unmuteAt-muteAt)*time.Millisecond)
		if lat > speakerSwitchLimit {
			t.Errorf("%s: 1002 framed %v after 1002 unmuted, want ≤ %v", m.ext, lat, speakerSwitchLimit)
		}
		m.requireBlueFrame("Participant 1002")
	}
	bob.waitUntil("Bob sees himself framed", signalTimeout, framedJS("You"))

	// Carol leaves: the others see two users and her tile goes.
	carol.click("button", "Hang up")
	for _, pair := range [][2]*member{{alice, bob}, {bob, alice}} {
		m, other := pair[0], pair[1]
		if text := m.requireUsers(2, "1001 Alice", "1002 Bob"); strings.Contains(text, "1003") {
			t.Fatalf("%s: the Users tooltip still lists 1003 after she left: %q", m.ext, text)
		}
		m.waitGone("group", "Participant 1003", signalTimeout)
		m.requireRemoteVideos(map[string]rgb{"Participant " + other.ext: other.camera}, mediaTimeout)
	}
	carol.waitUntil("Carol back to idle", signalTimeout, idle())
}

// TestConferenceSpeakerVideo: room 801 sends one video that follows the
// dominant speaker; a third party sees the big video switch to the new
// speaker's tile. Run in Chromium, and with Carol (who watches the switch)
// and Alice (the first speaker) in Firefox ESR.
func TestConferenceSpeakerVideo(t *testing.T) {
	for _, e := range engines {
		t.Run(string(e), func(t *testing.T) { conferenceSpeakerVideo(t, e) })
	}
}

func conferenceSpeakerVideo(t *testing.T, e engine) {
	srv := startServer(t, serverOptions{})
	dir := t.TempDir()
	alice := newMember(t, dir, "1001", "Alice", 440, camRed, inEngine(e))
	bob := newMember(t, dir, "1002", "Bob", 660, camGreen)
	carol := newMember(t, dir, "1003", "Carol", 0, camBlue, inEngine(e))
	all := []*member{alice, bob, carol}
	for _, m := range all {
		m.login(srv, m.ext)
	}

	const title = "801 · Stage"
	carol.joinRoom("801", title, true, false)
	bob.joinRoom("801", title, true, true)
	alice.joinRoom("801", title, true, false)
	carol.requireFramedSoonAfterJoin(alice)

	// Carol's one video shows the speaker, Alice, big.
	carol.requireRemoteVideos(map[string]rgb{"Participant 1001": camRed}, mediaTimeout)
	carol.requireBig("Participant 1001")
	// Everyone decodes exactly one remote video.
	for _, m := range []*member{alice, bob} {
		m.requireOneVideo(mediaTimeout)
		m.requireUsers(3)
	}

	// The speaker changes: the big video on Carol's screen switches to Bob.
	alice.setMic(true)
	unmuteAt := bob.setMic(false)
	lat := carol.waitFramed("Participant 1002", unmuteAt, 5*time.Second)
	t.Logf("speaker switch latency: 1003 sees 1002 framed %v after 1002 unmuted", lat)
	if lat > speakerSwitchLimit {
		t.Errorf("1003: 1002 framed %v after 1002 unmuted, want ≤ %v", lat, speakerSwitchLimit)
	}
	carol.waitUntil("big video switches to 1002", mediaTimeout, bigJS("Participant 1002"))
	var videoAt int64
	carol.eval(`Date.now()`, &videoAt)
	t.Logf("video switch: 1003 shows 1002's tile big %v after 1002 unmuted (upper bound, polled)",
		time.Duration(videoAt-unmuteAt)*time.Millisecond)
	carol.requireRemoteVideos(map[string]rgb{"Participant 1002": camGreen}, mediaTimeout)
	carol.requireBig("Participant 1002")
	alice.requireOneVideo(mediaTimeout)
}

// bigJS is true when label's tile is the largest tile and holds a playing video.
func bigJS(label string) string {
	return fmt.Sprintf(`(() => {
	  const tiles = [...document.querySelectorAll('[data-speaking]')].filter((e) => window.__xpt.isVisible(e));
	  const area = (e) => { const r = e.getBoundingClientRect(); return r.width * r.height; };
	  const big = tiles.reduce((a, e) => (!a || area(e) > area(a) ? e : a), null);
	  if (!big || big.getAttribute('aria-label') !== %s) return false;
	  if (tiles.some((e) => e !== big && area(e) * 2 > area(big))) return false;
	  const v = big.querySelector('video');
	  return !!v && window.__xpt.isVisible(v) && !v.paused && v.videoWidth > 0;
	})()`, js(label))
}

// requireBig checks label's tile is the big one and the only remote tile with video.
func (m *member) requireBig(label string) {
	m.t.Helper()
	m.waitUntil(fmt.Sprintf("tile %q shown big with its video", label), signalTimeout, bigJS(label))
	for _, t := range m.tiles().Tiles {
		if strings.HasPrefix(t.Label, "Participant ") && t.Label != label && t.Playing {
			m.t.Fatalf("%s: tile %q plays video too; speaker mode shows one", m.name, t.Label)
		}
	}
}

// requireOneVideo checks exactly one received video decodes.
func (m *member) requireOneVideo(timeout time.Duration) {
	m.t.Helper()
	first := m.tiles()
	deadline := time.Now().Add(timeout)
	for {
		time.Sleep(500 * time.Millisecond)
		last := m.tiles()
		decoding := 0
		for _, s := range last.Inbound {
			if f := first.framesOf(s.Mid); f >= 0 && s.Frames > f {
				decoding++
			}
		}
		if decoding == 1 && len(last.Inbound) == 1 {
			return
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("%s: %d of %d received videos decoding, want exactly one\nfirst %+v\nlast %+v",
				m.name, decoding, len(last.Inbound), first.Inbound, last.Inbound)
		}
		first = last
	}
}

// TestConferencePIN: room 802 needs a PIN: the dialog asks for it, a wrong
// one is refused with an error, the right one joins. 802 is audio-only:
// tiles show names and numbers, and the mix carries the other's voice.
func TestConferencePIN(t *testing.T) {
	srv := startServer(t, serverOptions{})
	dir := t.TempDir()
	alice := newMember(t, dir, "1001", "Alice", 440, camRed)
	bob := newMember(t, dir, "1002", "Bob", 0, camGreen)
	alice.login(srv, "1001")
	bob.login(srv, "1002")
	const oneDialog = "window.__xpt.names('dialog').length === 1"
	const noDialog = "window.__xpt.names('dialog').length === 0"

	// Without a PIN: the dialog. Cancel closes it.
	alice.dial("802", false)
	alice.waitUntil("PIN dialog", signalTimeout, oneDialog)
	alice.waitVisible("textbox", "PIN", time.Second)
	alice.waitVisible("button", "Join", time.Second)
	alice.waitVisible("button", "Cancel", time.Second)
	alice.click("button", "Cancel")
	alice.waitUntil("PIN dialog closed", time.Second, noDialog)
	alice.waitUntil("idle after Cancel", signalTimeout, idle())

	// A wrong PIN: the dialog again, with an error.
	alice.dial("802", false)
	alice.waitUntil("PIN dialog", signalTimeout, oneDialog)
	if alert := alice.text("alert"); alert != "" {
		t.Fatalf("the PIN dialog shows %q before any PIN was tried", alert)
	}
	alice.fill("PIN", "1234")
	alice.click("button", "Join")
	alice.waitText("alert", regexp.MustCompile(`(?i)wrong`), signalTimeout)
	alice.waitUntil("PIN dialog again", time.Second, oneDialog)
	if n := strings.Count(strings.Join(alice.statusLog(), "\n"), "Dialing 802…"); n < 2 {
		t.Fatalf("status log %q: want a second dial of 802 for the PIN", alice.statusLog())
	}

	// The right PIN (typed, then Enter) joins.
	alice.fill("PIN", "4711")
	alice.press("\r")
	alice.waitText("status", regexp.MustCompile(`^802 · Vault$`), signalTimeout)
	alice.waitUntil("PIN dialog closed", time.Second, noDialog)
	alice.requireTimerRuns()
	alice.requireUsers(1, "1001 Alice")
	alice.requireNoHoldTransfer()

	// Bob joins with video, but the room is audio-only: name tiles, no video.
	bob.dial("802", true)
	bob.waitUntil("PIN dialog", signalTimeout, oneDialog)
	bob.fill("PIN", "4711")
	bob.click("button", "Join")
	bob.waitText("status", regexp.MustCompile(`^802 · Vault$`), signalTimeout)
	bob.requireUsers(2, "1001 Alice", "1002 Bob")
	alice.requireUsers(2, "1001 Alice", "1002 Bob")
	// Keyboard users get the list on focus too; Escape dismisses it.
	alice.eval(`(window.__xpt.find('button', 'Users 2').focus(), true)`, nil)
	alice.waitUntil("Users tooltip shown on focus", 2*time.Second, `window.__xpt.names('tooltip').length === 1`)
	alice.press("\u001b")
	alice.waitUntil("Users tooltip dismissed with Escape", 2*time.Second, `window.__xpt.names('tooltip').length === 0`)
	bob.waitVisible("group", "Participant 1001", signalTimeout)
	bob.requireMediaFlowing(false, mediaTimeout) // Bob hears Alice's tone in the mix
	tile, _ := bob.tiles().tile("Participant 1001")
	if !strings.Contains(tile.Text, "Alice") || !strings.Contains(tile.Text, "1001") || tile.Playing {
		t.Fatalf("audio-only room: tile %+v, want Alice's name and number and no video", tile)
	}
	bob.waitFramed("Participant 1001", 0, 5*time.Second)
	alice.click("button", "Hang up")
	bob.requireUsers(1)
	bob.waitGone("group", "Participant 1001", signalTimeout)
}

// requireDTX checks over two seconds that the silent browser sends Opus DTX
// (a packet every 400 ms or so) while the talking one sends every 20 ms.
// Rates use the statistics' own timestamps: Firefox refreshes its RTP
// counters only now and then, so a wall-clock window would miscount.
func requireDTX(t *testing.T, silent, talking *member) {
	t.Helper()
	s0, t0 := silent.stats(), talking.stats()
	time.Sleep(2 * time.Second)
	s1, t1 := silent.stats(), talking.stats()
	rate := func(a, b mediaStats) float64 {
		if b.OutAudioAt <= a.OutAudioAt {
			return 0
		}
		return (b.OutAudioPacket - a.OutAudioPacket) * 1000 / (b.OutAudioAt - a.OutAudioAt)
	}
	rs, rt := rate(s0, s1), rate(t0, t1)
	t.Logf("audio packets sent per second: silent %s %.1f, talking %s %.1f", silent.ext, rs, talking.ext, rt)
	// A talking browser sends a packet per 20 ms frame (Chromium ≈ 50/s;
	// Firefox fed by Web Audio's mock device here ≈ 42/s); DTX is ≤ 5/s.
	if rt < 30 {
		t.Fatalf("%s, talking, sent %.1f audio packets a second, want about 50 (%v → %v)", talking.ext, rt, t0, t1)
	}
	if rs > 15 {
		t.Fatalf("%s, silent, sent %.1f audio packets a second: no DTX (want ≤ 15)", silent.ext, rs)
	}
}
