package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// The room step of the three-node suite (issue #18, docs/cluster.md "Rooms
// across nodes"): room 800 with Alice on n1 (she joins first, so n1 hosts
// the room's cascade), Bob and Dave on n2, Carol on n3. Alice, Bob and
// Carol talk with their cameras on; Dave joins audio-only and muted, a
// second listener on n2. Each browser's received mix is watched with a
// WebAudio analyser at every member's tone, from before its dial.

// clusterRoom is room 800 of clusterNodeConfig.
const (
	clusterRoom      = "800"
	clusterRoomTitle = "800 · Board"
)

// Levels are the analyser's (dB, the strongest of three 11.7 Hz bins).
// The talkers' -20 dBFS tones arrive at -30 to -34 dB; a tone nobody
// plays (Dave's: he stays muted) is below -100 dB most of the
// time, but the mix's distortions around joins and speaker changes lift
// it to -49…-62 dB for a moment. So a tone is heard when it stays above
// heardDB for heardRun samples (160 ms) or its median over the last 0.5 s
// is above heardDB, and not heard when that median is below quietDB.
const (
	heardDB  = -45
	quietDB  = -70
	heardRun = 8
)

// hearingJS starts (again) the page's hearing probe: every 20 ms, while
// the page has a call with received audio, it analyses that audio (the
// node's mix for this listener) at each of freqs and keeps, per
// frequency, when it was first heard (the first sample of the first run
// of heardRun samples above heardDB; page time, ms), the median of the
// last 25 samples (0.5 s), the highest level and the highest median.
const hearingJS = `((freqs, threshold, run) => {
  if (window.__hear) window.__hear.stop();
  const h = { first: {}, now: {}, max: {}, loud: {}, track: null };
  const recent = {}, since = {};
  const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]; };
  window.__hear = h;
  const ctx = window.__xptAudio || (window.__xptAudio = new AudioContext());
  ctx.resume();
  let an = null, src = null, data = null;
  const timer = setInterval(() => {
    const pc = window.xphone && window.xphone.pc();
    const r = pc && pc.getReceivers().find((x) => x.track && x.track.kind === 'audio');
    if (!r) return;
    if (r.track !== h.track) {
      if (src) src.disconnect();
      h.track = r.track;
      an = ctx.createAnalyser();
      an.fftSize = 4096;
      an.smoothingTimeConstant = 0;
      src = ctx.createMediaStreamSource(new MediaStream([r.track]));
      src.connect(an);
      data = new Float32Array(an.frequencyBinCount);
    }
    an.getFloatFrequencyData(data);
    const hz = ctx.sampleRate / an.fftSize, now = Date.now();
    for (const f of freqs) {
      const bin = Math.round(f / hz);
      let at = -200;
      for (let i = bin - 1; i <= bin + 1; i++) if (data[i] > at) at = data[i];
      if (!(f in h.max) || at > h.max[f]) h.max[f] = at;
      const r = recent[f] || (recent[f] = []);
      r.push(at);
      if (r.length > 25) r.shift();
      h.now[f] = median(r);
      if (r.length === 25 && !(h.loud[f] >= h.now[f])) h.loud[f] = h.now[f];
      if (at <= threshold) { since[f] = null; continue; }
      if (!since[f]) since[f] = { at: now, n: 0 };
      if (++since[f].n >= run && !h.first[f]) h.first[f] = since[f].at;
    }
  }, 20);
  h.stop = () => { clearInterval(timer); if (src) src.disconnect(); };
  return true;
})`

// hearing is the state of a page's hearing probe (Now: the median of the
// last 0.5 s); the maps are keyed by the frequency's decimal text.
type hearing struct {
	First map[string]int64   `json:"first"`
	Now   map[string]float64 `json:"now"`
	Max   map[string]float64 `json:"max"`
	Loud  map[string]float64 `json:"loud"` // the highest median
}

// roomMember is a user of the cluster in the room step.
type roomMember struct {
	*member
	node int // index in clusterRig.nodes
}

// tone is the member's microphone's frequency.
func (m *roomMember) tone() float64 { return clusterTones[m.ext] }

func freqKey(f float64) string { return fmt.Sprint(f) }

// startHearing (re)starts the hearing probe of m at every member's tone.
func (m *roomMember) startHearing() {
	m.t.Helper()
	var freqs []float64
	for _, ext := range []string{"1001", "1002", "1003", "1004"} {
		freqs = append(freqs, clusterTones[ext])
	}
	m.eval(fmt.Sprintf("%s(%s, %d, %d)", hearingJS, jsValue(freqs), heardDB, heardRun), nil)
}

func (m *roomMember) hearing() hearing {
	m.t.Helper()
	var h hearing
	m.eval(`(() => { const h = window.__hear || {}; return { first: h.first || {}, now: h.now || {}, max: h.max || {}, loud: h.loud || {} }; })()`, &h)
	return h
}

// stopHearing ends the probe's timer and analyser.
func (m *roomMember) stopHearing() {
	m.eval(`window.__hear ? (window.__hear.stop(), true) : false`, nil)
}

// waitHears waits until m hears each talker's tone now and not its own,
// and returns the probe's state then.
func (m *roomMember) waitHears(talkers []*roomMember, timeout time.Duration) hearing {
	m.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		h := m.hearing()
		missing := ""
		for _, o := range talkers {
			if lv, ok := h.Now[freqKey(o.tone())]; !ok || lv <= heardDB {
				missing += fmt.Sprintf(" %s (%.0f Hz at %.1f dB)", o.name, o.tone(), lv)
			}
		}
		own := h.Now[freqKey(m.tone())]
		if missing == "" && own < quietDB {
			return h
		}
		if time.Now().After(deadline) {
			if missing == "" {
				m.t.Fatalf("%s (n%d) hears their own %.0f Hz at %.1f dB; levels now %v", m.name, m.node+1, m.tone(), own, h.Now)
			}
			m.t.Fatalf("%s (n%d) does not hear%s within %v; levels now %v", m.name, m.node+1, missing, timeout, h.Now)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// requireNeverHeardSelf checks m's own tone was never heard in its mix
// during the whole stay: its median over 0.5 s never rose above heardDB.
// A member hearing themselves would hear their tone as loud as the
// others' (-30…-34 dB) for as long as they talk; the mix's distortions
// last less than a quarter of that window.
func (m *roomMember) requireNeverHeardSelf() {
	m.t.Helper()
	h := m.hearing()
	own := freqKey(m.tone())
	if lv := h.Loud[own]; lv > heardDB {
		m.t.Errorf("%s hears their own %.0f Hz in the mix: its 0.5 s median reached %.1f dB", m.name, m.tone(), lv)
	}
	m.t.Logf("%s (n%d), own tone %.0f Hz: highest 0.5 s medians %s; highest single levels %s",
		m.name, m.node+1, m.tone(), levels(h.Loud), levels(h.Max))
}

// levels formats a probe's levels by frequency, in a fixed order.
func levels(by map[string]float64) string {
	var parts []string
	for _, ext := range []string{"1001", "1002", "1003", "1004"} {
		f := clusterTones[ext]
		if lv, ok := by[freqKey(f)]; ok {
			parts = append(parts, fmt.Sprintf("%.0f Hz %.1f dB", f, lv))
		}
	}
	return strings.Join(parts, ", ")
}

// dialAt is when m last clicked Video call or Audio call (page time, ms).
func (m *roomMember) dialAt() int64 {
	m.t.Helper()
	var at int64
	m.eval(`window.__conf.dialAt`, &at)
	return at
}

// roomMembers turns the rig's users into the room's members and gives
// their pages the conference probe (tiles, framing, clicks). The probe
// wraps the page's WebSocket; that wrapper is taken off again at the end
// of the step (restoreSocket), so later steps see the page as before.
func (c *clusterRig) roomMembers() []*roomMember {
	c.t.Helper()
	var out []*roomMember
	for _, u := range []struct {
		ext, name string
		node      int
	}{{"1001", "Alice", 0}, {"1002", "Bob", 1}, {"1003", "Carol", 2}, {"1004", "Dave", 1}} {
		b := c.users[u.ext]
		b.eval(`(window.__wsBeforeProbe = window.WebSocket, true)`, nil)
		b.eval(conferenceProbeJS, nil)
		m := &roomMember{member: &member{browser: b, ext: u.ext, name: u.name, camera: clusterCameras[u.ext]}, node: u.node}
		out = append(out, m)
	}
	return out
}

func (m *roomMember) restoreSocket() {
	m.eval(`(window.WebSocket = window.__wsBeforeProbe || window.WebSocket, true)`, nil)
}

// clusterRoomOnThreeNodes: room 800 with members homed on all three nodes.
// Everyone hears every talker on the other nodes and never their own tone;
// the Users list is the same in every browser; every camera is decoded on
// the other nodes; the blue speaker frame is on the same member's tile in
// every browser and moves with the talker.
func clusterRoomOnThreeNodes(t *testing.T, c *clusterRig) {
	all := c.roomMembers()
	talkers := all[:3] // Alice, Bob, Carol; Dave stays muted
	defer func() {
		for _, m := range all {
			m.stopHearing()
			m.restoreSocket()
		}
	}()
	start := time.Now()
	phase := func(what string) {
		t.Logf("room step: %s after %v", what, time.Since(start).Round(10*time.Millisecond))
	}

	joined := c.joinAll(all)
	phase("all four joined")
	// Hearing: each listener's mix carries every talker on another node
	// (and Bob, on Dave's own node, for Dave), never the listener's own tone.
	for _, m := range all {
		var others []*roomMember
		for _, o := range talkers {
			if o != m {
				others = append(others, o)
			}
		}
		m.waitHears(others, mediaTimeout)
	}
	if slowest := c.logJoinFigures(all, talkers, joined); slowest > 3*time.Second {
		c.logRoomLogs(clusterRoom)
	}
	phase("everyone hears the others")
	c.requireSameUsers(all)
	phase("the same Users list everywhere")
	for _, m := range talkers {
		want := map[string]rgb{}
		for _, o := range talkers {
			if o != m {
				want["Participant "+o.ext] = o.camera
			}
		}
		m.requireRemoteVideos(want, mediaTimeout)
	}
	phase("every camera decoded on the other nodes")
	speakerSteps(t, all)
	phase("the speaker frame moved twice")
	for _, m := range all {
		m.requireNeverHeardSelf()
	}
	leaveOneByOne(all)
	phase("everyone left")
}

// joinAll has the members join room 800 in order, Alice first, so that
// n1 hosts the room's cascade; it returns when each clicked to join.
func (c *clusterRig) joinAll(all []*roomMember) map[*roomMember]int64 {
	c.t.Helper()
	joined := map[*roomMember]int64{}
	for i, m := range all {
		m.startHearing()
		dave := m.ext == "1004"
		m.joinRoom(clusterRoom, clusterRoomTitle, !dave, dave)
		joined[m] = m.dialAt()
		if i == 0 {
			c.waitRoomHost(clusterRoom, "n1")
		}
	}
	return joined
}

// speakerSteps: Alice alone talks, then Carol (n3), then Bob (n2); every
// browser frames the talker each time (the colour is checked on the first
// and the last, which saves a second of canvas reads per browser).
func speakerSteps(t *testing.T, all []*roomMember) {
	t.Helper()
	alice, bob, carol := all[0], all[1], all[2]
	bob.setMic(true)
	carol.setMic(true)
	requireSpeakerEverywhere(all, alice, 0, true)
	t.Log("room step: Alice framed in blue everywhere")
	for i, next := range []*roomMember{carol, bob} {
		prev := speakerNow(all)
		prev.setMic(true)
		at := next.setMic(false)
		lats := requireSpeakerEverywhere(all, next, at, i == 1)
		t.Logf("FIGURE room across three nodes: speaker switch to %s (n%d) seen on all nodes %v after the unmute (per browser: %s)",
			next.name, next.node+1, maxDuration(lats), formatLatencies(lats))
	}
}

// leaveOneByOne: the members leave in turn, the host's member first (the
// room moves to another node); each leave shows on the others' Users
// badge before the next member clicks (so no click lands on a moving
// layout).
func leaveOneByOne(all []*roomMember) {
	for i, m := range all {
		m.click("button", "Hang up")
		m.waitUntil(m.name+" idle after leaving the room", signalTimeout, idle())
		for _, o := range all[i+1:] {
			o.waitVisible("button", fmt.Sprintf("Users %d", len(all)-i-1), signalTimeout)
		}
	}
}

// logRoomLogs logs every node's log lines about room (the cascade's
// work), to tell where a slow join spent its time.
func (c *clusterRig) logRoomLogs(room string) {
	c.t.Helper()
	for _, n := range c.nodes {
		var lines []string
		for _, l := range strings.Split(n.logs.String(), "\n") {
			if strings.Contains(l, "room="+room) || strings.Contains(l, "cascade") || strings.Contains(l, "xroom") {
				lines = append(lines, l)
			}
		}
		c.t.Logf("---- node %s, room %s ----\n%s", n.id, room, strings.Join(lines, "\n"))
	}
}

// speakerNow is the member whose microphone is on among the talkers.
func speakerNow(all []*roomMember) *roomMember {
	for _, m := range all {
		if m.pressed("Mute microphone") == "false" {
			return m
		}
	}
	return nil
}

// requireSpeakerEverywhere waits until every browser frames the speaker's
// tile alone (the speaker's own browser: "You"), checks the frame is blue
// when blue is set, and returns per browser how long after since (page
// ms; 0: not timed) it was framed.
func requireSpeakerEverywhere(all []*roomMember, speaker *roomMember, since int64, blue bool) map[string]time.Duration {
	lats := map[string]time.Duration{}
	for _, m := range all {
		label := "Participant " + speaker.ext
		if m == speaker {
			label = "You"
		}
		if since == 0 {
			m.waitUntil(fmt.Sprintf("%s framed", label), signalTimeout, framedJS(label))
		} else {
			lats[fmt.Sprintf("%s n%d", m.name, m.node+1)] = m.waitFramed(label, since, 5*time.Second)
		}
		if blue {
			m.requireBlueFrame(label)
		}
	}
	return lats
}

func maxDuration(lats map[string]time.Duration) time.Duration {
	var most time.Duration
	for _, d := range lats {
		most = max(most, d)
	}
	return most
}

func formatLatencies(lats map[string]time.Duration) string {
	var parts []string
	for _, who := range []string{"Alice n1", "Bob n2", "Carol n3", "Dave n2"} {
		if d, ok := lats[who]; ok {
			parts = append(parts, fmt.Sprintf("%s %v", who, d))
		}
	}
	return strings.Join(parts, ", ")
}

// logJoinFigures logs, per member who joined after someone on another
// node talked, the time from its dial click to the first tone of a talker
// on another node in its mix; and per talker, from its click to its tone
// in the mix of the listeners on other nodes.
func (c *clusterRig) logJoinFigures(all, talkers []*roomMember, joined map[*roomMember]int64) time.Duration {
	c.t.Helper()
	heard := map[*roomMember]hearing{}
	for _, m := range all {
		heard[m] = m.hearing()
	}
	var slowest time.Duration
	after := func(at, since int64) time.Duration {
		d := time.Duration(at-since) * time.Millisecond
		slowest = max(slowest, d)
		return d
	}
	for _, m := range all {
		first, from := int64(0), ""
		for _, o := range talkers {
			at := heard[m].First[freqKey(o.tone())]
			if o.node != m.node && at != 0 && joined[o] < joined[m] && (first == 0 || at < first) {
				first, from = at, o.name
			}
		}
		if first != 0 {
			c.t.Logf("FIGURE room across three nodes: %s (n%d) joined → first audio from another node (%s) %v after the click",
				m.name, m.node+1, from, after(first, joined[m]))
		}
	}
	for _, o := range talkers {
		var parts []string
		for _, m := range all {
			if at := heard[m].First[freqKey(o.tone())]; m.node != o.node && at != 0 && joined[m] < joined[o] {
				parts = append(parts, fmt.Sprintf("%s (n%d) %v", m.name, m.node+1, after(at, joined[o])))
			}
		}
		if len(parts) > 0 {
			c.t.Logf("FIGURE room across three nodes: %s (n%d) joined → heard on the other nodes after the click: %s",
				o.name, o.node+1, strings.Join(parts, ", "))
		}
	}
	return slowest
}

// usersRowsJS lists the Users tooltip's rows ("NUMBER NAME") in order.
const usersRowsJS = `[...document.querySelectorAll('#users-list li')].map((li) =>
  li.querySelector('.users-number').textContent + ' ' + li.querySelector('.users-name').textContent)`

// requireSameUsers checks that every browser's Users badge says 4 and its
// tooltip lists the four members, in the same order everywhere. The
// tooltip is shown (hovered) on Carol's screen, the last node's; the
// others' rows are read from the page.
func (c *clusterRig) requireSameUsers(all []*roomMember) {
	c.t.Helper()
	people := []string{"1001 Alice", "1002 Bob", "1003 Carol", "1004 Dave"}
	all[2].requireUsers(len(people), people...)
	var first []string
	for _, m := range all {
		m.waitVisible("button", fmt.Sprintf("Users %d", len(people)), signalTimeout)
		var rows []string
		m.eval(usersRowsJS, &rows)
		if first == nil {
			first = rows
			c.t.Logf("Users list on %s's screen (n%d): %q", m.name, m.node+1, rows)
		} else if !equalStrings(rows, first) || !equalStrings(rows, people) {
			c.t.Errorf("%s's Users list (n%d) is %q, %s's is %q: not the same", m.name, m.node+1, rows, all[0].name, first)
		}
	}
}

// waitRoomHost waits until the directory names node as room's host.
func (c *clusterRig) waitRoomHost(room, node string) {
	c.t.Helper()
	deadline := time.Now().Add(signalTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		host, _ := c.rdb.Get(ctx, "{xphone}:room:"+room).Result()
		cancel()
		if host == node {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("room %s is hosted by %q, want %s", room, host, node)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
