package e2e

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"xphone/configs"
	"xphone/internal/testpeers"
)

// Asterisk with real browsers (issue 14): the kit's Asterisk 22
// (../shared/asterisk beside the repository) configured with
// docs/asterisk.md's snippets, and the server with the guide's trunk.
// Asterisk-side parties are Local channels that play a tone into a call or
// conference and detect the browser's (WaitForTone), results in its astdb.

// astE2EGlue is the test's own Asterisk dial plan around the guide's.
const astE2EGlue = `
[phones]
include => xphone-test
include => from-xphone

[xphone-test]
exten => 692,1,Busy(10)
exten => 693,1,Congestion(10)
; a PBX phone "Desk 201" calling Xphone's 1002 through the guide's context
exten => callbob,1,Set(CALLERID(all)="Desk 201" <201>)
 same => n,Goto(xphone-outgoing,1002,1)
; a conference member on Asterisk's side: 1300 Hz into the call, and
; detection of the browsers' 1000 Hz (result in astdb xphone/member)
exten => member,1,Answer()
 same => n,Set(DB(xphone/member)=WAITING)
 same => n,Playtones(1300)
 same => n,WaitForTone(1000,400,30)
 same => n,Set(DB(xphone/member)=${WAITFORTONESTATUS})
 same => n,Wait(600)
`

// astSetup is a running Asterisk and server joined by the guide's trunk.
type astSetup struct {
	ast *testpeers.Asterisk
	srv *testServer
}

// startAsteriskE2E starts the kit's Asterisk with the guide and a server
// whose trunk "pbx" is the guide's (registering), room 800 bridged into
// ConfBridge 602, and a second trunk registering with a wrong password.
func startAsteriskE2E(t *testing.T) *astSetup {
	t.Helper()
	requireBrowser(t)
	requireSIPNamespace(t)
	kit, err := testpeers.FindAsteriskKit()
	if errors.Is(err, testpeers.ErrNoAsteriskKit) {
		t.Skip("Asterisk browser tests skipped: no shared/asterisk kit beside the repository (CI has it)")
	}
	must(t, err)
	dir, err := os.MkdirTemp("", "xphone-ast-e2e-")
	must(t, err)
	a, err := testpeers.StartAsterisk(kit, testpeers.AsteriskOptions{Dir: dir, SIPDebug: true})
	must(t, err)
	t.Cleanup(func() {
		a.Stop()
		if t.Failed() {
			keep := filepath.Join(os.TempDir(), "xphone-ast-e2e-failed.log")
			_ = os.WriteFile(keep, []byte(a.Log()), 0o644)
			t.Logf("Asterisk's log (SIP included) kept in %s", keep)
		}
		_ = os.RemoveAll(dir)
	})
	guide, err := testpeers.ReadGuide("../../docs/asterisk.md")
	must(t, err)
	must(t, a.LoadGuide(guide))
	for _, mode := range slices.Sorted(maps.Keys(astVideoModes)) {
		must(t, a.AddConfig("pjsip.conf", guideEndpoint(t, guide, a, mode)))
	}
	must(t, a.AddConfig("extensions.conf", astE2EGlue))
	cfg := asteriskServerConfig(t, guide, a)
	return &astSetup{ast: a, srv: startServer(t, serverOptions{parsed: cfg})}
}

// astVideoModes are the guide's modes without ICE that the server also
// has a trunk in ("pbx-" + mode, dialled as prefix + a PBX number): video
// calls over them run on a socket pair per m-line.
var astVideoModes = map[string]string{"dtls": "71", "sdes": "72", "rtp": "73"}

// guideEndpoint is the guide's registration endpoint renamed "xt-" +
// mode and inheriting mode's template instead of the webrtc one.
func guideEndpoint(t *testing.T, g testpeers.Guide, a *testpeers.Asterisk, mode string) string {
	t.Helper()
	block, err := g.Snippet("pjsip.conf", "Xphone registers")
	must(t, err)
	return a.BindMedia(strings.NewReplacer("xphone-trunk", "xt-"+mode, "xphone-media-webrtc)", "xphone-media-"+mode+")").Replace(block))
}

// modeTrunks are the server's trunks to the guideEndpoint endpoints and
// their dial rules.
func modeTrunks(t *testing.T, pbx string) (trunks, rules string) {
	t.Helper()
	for _, mode := range slices.Sorted(maps.Keys(astVideoModes)) {
		ice := `"off"`
		media := "dtls-srtp"
		if mode != "dtls" {
			media, ice = mode, `""`
		}
		trunks += fmt.Sprintf(`
  - name: pbx-%s
    address: %q
    listen: %q
    register: {user: xt-%s, password: change-me-to-a-long-secret}
    media: %s
    ice: %s
    codecs: [pcmu, pcma]`, mode, pbx, net.JoinHostPort("127.0.0.1", freePort(t, "127.0.0.1")), mode, media, ice)
		rules += fmt.Sprintf("\n  - {pattern: \"%sXXX\", trunk: pbx-%s, strip: 2, permission: internal}", astVideoModes[mode], mode)
	}
	return trunks, rules
}

// asteriskServerConfig is the server configuration: the guide's trunk and
// dial plan with the test's addresses, users 1001 (admin) and 1002, room
// 800 bridged to Asterisk's ConfBridge 602, and trunk "pbx-wrong" whose
// password Asterisk refuses.
func asteriskServerConfig(t *testing.T, g testpeers.Guide, a *testpeers.Asterisk) *configs.Config {
	t.Helper()
	y, err := g.Snippet("xphone.yaml", "Xphone registers")
	must(t, err)
	listen := net.JoinHostPort("127.0.0.1", freePort(t, "127.0.0.1"))
	wrong := net.JoinHostPort("127.0.0.1", freePort(t, "127.0.0.1"))
	y = strings.NewReplacer("192.0.2.10:5060", a.SIP, "192.0.2.5:5080", listen).Replace(y)
	trunks, plan, ok := strings.Cut(y, "\ndialplan:")
	if !ok {
		t.Fatalf("the guide's xphone.yaml has no dialplan:\n%s", y)
	}
	more, rules := modeTrunks(t, a.SIP)
	y = fmt.Sprintf(`xphone: {enabled: true}
http: {listen: "127.0.0.1:0", path: /xphone/}
media: {interfaces: [lo]}
calls: {no_answer_timeout: 30s}
extensions:
  - {number: "1001", name: Alice, password: pw1001, xphone: true, admin: true}
  - {number: "1002", name: Bob, password: pw1002, xphone: true}
rooms:
  - {number: "800", name: Board, video: all, bridge: {trunk: pbx, number: "602"}}
%s
  - name: pbx-wrong
    address: %q
    listen: %q
    register: {user: xphone-rtp, password: not-the-password}
    media: rtp%s
dialplan:%s%s`, trunks, a.SIP, wrong, more, rules, plan)
	cfg, err := configs.Parse([]byte(y))
	if err != nil {
		t.Fatalf("the guide's xphone.yaml with the test's settings: %v\n%s", err, y)
	}
	return cfg
}

// member puts an Asterisk-side conference member into ConfBridge 602.
func (s *astSetup) member(t *testing.T) {
	t.Helper()
	must(t, s.ast.SetDB("member", "none"))
	must(t, s.ast.Originate("Local/602@phones", "member@xphone-test"))
	deadline := time.Now().Add(5 * time.Second)
	for s.ast.DB("member") != "WAITING" {
		if time.Now().After(deadline) {
			t.Fatal("Asterisk's conference member did not join 602")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// memberHeard waits for the member's detection of the browsers' 1000 Hz.
func (s *astSetup) memberHeard(t *testing.T) {
	t.Helper()
	if v := s.ast.WaitDB("member", "none", 15*time.Second); v != "SUCCESS" {
		t.Errorf("Asterisk's conference member did not hear the browser's 1000 Hz: %q", v)
	}
}

// hangupAsterisk ends every Asterisk channel.
func (s *astSetup) hangupAsterisk(t *testing.T) {
	t.Helper()
	_, _ = s.ast.CLI("channel request hangup all")
	deadline := time.Now().Add(5 * time.Second)
	for s.ast.Channels() != 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
}

// toneJS measures the received audio of the page's call at a frequency
// with WebAudio (an AnalyserNode on the remote audio track): it returns the
// level at freq and at the strongest bin, in dB.
const toneJS = `(async (freq) => {
  const pc = window.xphone && window.xphone.pc();
  const r = pc && pc.getReceivers().find((x) => x.track && x.track.kind === 'audio');
  if (!r) return {at: -200, peak: -200, peakHz: 0};
  const ctx = window.__xptAudio || (window.__xptAudio = new AudioContext());
  await ctx.resume();
  const an = ctx.createAnalyser();
  an.fftSize = 8192;
  const src = ctx.createMediaStreamSource(new MediaStream([r.track]));
  src.connect(an);
  await new Promise((res) => setTimeout(res, 400));
  const data = new Float32Array(an.frequencyBinCount);
  an.getFloatFrequencyData(data);
  src.disconnect();
  const hz = ctx.sampleRate / an.fftSize;
  const bin = Math.round(freq / hz);
  let at = -200;
  for (let i = bin - 2; i <= bin + 2; i++) at = Math.max(at, data[i]);
  let peak = -200, peakBin = 0;
  for (let i = 5; i < data.length; i++) if (data[i] > peak) { peak = data[i]; peakBin = i; }
  return {at, peak, peakHz: peakBin * hz};
})`

// toneLevel is what toneJS measured.
type toneLevel struct {
	At     float64 `json:"at"`
	Peak   float64 `json:"peak"`
	PeakHz float64 `json:"peakHz"`
}

// requireTone waits until the page hears freq as its strongest tone.
func (b *browser) requireTone(freq float64, timeout time.Duration) toneLevel {
	b.t.Helper()
	var lv toneLevel
	deadline := time.Now().Add(timeout)
	for {
		b.eval(fmt.Sprintf("%s(%f)", toneJS, freq), &lv)
		if lv.At > -70 && lv.PeakHz > freq-20 && lv.PeakHz < freq+20 {
			return lv
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: %.0f Hz not heard (level %.1f dB there; strongest %.0f Hz at %.1f dB)", b.name, freq, lv.At, lv.PeakHz, lv.Peak)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestAsteriskBrowser: Chromium users with Asterisk through the guide's
// trunk: the registration and the refused one on the admin page, a
// browser in Asterisk's ConfBridge, room 800 bridged into it, and failure
// reasons in the UI.
func TestAsteriskBrowser(t *testing.T) {
	s := startAsteriskE2E(t)
	dir := t.TempDir()
	admin := newBrowser(t, "1001", withFakeAudio(writeToneWAV(t, dir, "1001.wav", 1000, -12)), withRawAudio())
	admin.login(s.srv, "1001")
	outer := t
	run := func(name string, f func(t *testing.T)) {
		t.Run(name, func(t *testing.T) {
			admin.t = t
			defer func() { admin.t = outer }()
			f(t)
		})
	}

	run("registration", func(t *testing.T) {
		admin.navigate(s.srv.URL + "admin/")
		wants := []*regexp.Regexp{
			regexp.MustCompile(`pbx\s+registered`),
			regexp.MustCompile(`pbx-wrong\s+not registered: [^\n]*401 Unauthorized`),
		}
		for _, mode := range slices.Sorted(maps.Keys(astVideoModes)) {
			wants = append(wants, regexp.MustCompile(`pbx-`+mode+`\s+registered`))
		}
		if out, _ := s.ast.CLI("module show like res_pjsip_exten_state"); !strings.Contains(out, "res_pjsip_exten_state") {
			// Not proven with this kit (see siptrunk's requireModule): said, not passed.
			t.Logf("NOT PROVEN: the Asterisk kit (%s) lacks res_pjsip_exten_state: presence of PBX phones is not checked; "+
				"rebuild the kit with it in MODULES and set XPHONE_ASTERISK_KIT", s.ast.Kit)
		} else {
			wants = append(wants, regexp.MustCompile(`201\s+available`)) // the guide's hint, watched by the guide's trunk
		}
		for _, want := range wants {
			admin.waitUntil("admin page shows "+want.String(), 15*time.Second, jsRegExp(want)+".test("+pageTextJS+")")
		}
		admin.navigate(s.srv.URL)
		admin.waitUntil("signalling ready", signalTimeout, "window.xphone && window.xphone.state().ready")
	})

	run("confbridge", func(t *testing.T) {
		s.member(t)
		start := time.Now()
		admin.dial("602", false)
		admin.waitText("status", regexp.MustCompile(`^Connected to 602`), signalTimeout)
		lv := admin.requireTone(1300, 10*time.Second)
		t.Logf("browser in ConfBridge 602 hears Asterisk's member at %.1f dB (%.0f Hz) %s after dialling", lv.At, lv.PeakHz, time.Since(start).Round(time.Millisecond))
		s.memberHeard(t)
		admin.click("button", "Hang up")
		admin.waitUntil("idle", signalTimeout, idle())
		s.hangupAsterisk(t)
	})

	run("room-bridge", func(t *testing.T) {
		s.member(t)
		start := time.Now()
		admin.dial("800", false)
		admin.waitText("status", regexp.MustCompile(`^800 · Board$`), signalTimeout)
		lv := admin.requireTone(1300, 15*time.Second)
		t.Logf("room 800 bridged to ConfBridge 602: the browser hears Asterisk's member at %.1f dB %s after joining", lv.At, time.Since(start).Round(time.Millisecond))
		s.memberHeard(t)
		admin.click("button", "Hang up")
		admin.waitUntil("idle", signalTimeout, idle())
		s.hangupAsterisk(t)
	})

	run("pbx-calls-browser", func(t *testing.T) {
		bob := newBrowser(t, "1002", withFakeAudio(writeToneWAV(t, dir, "1002.wav", 1000, -12)), withRawAudio())
		bob.login(s.srv, "1002")
		must(t, s.ast.SetDB("member", "none"))
		start := time.Now()
		must(t, s.ast.Originate("Local/callbob@xphone-test", "member@xphone-test"))
		bob.waitUntil("incoming dialog", signalTimeout, "window.__xpt.names('dialog').length === 1")
		if d := bob.text("dialog"); !strings.Contains(d, "201") || !strings.Contains(d, "Desk 201") {
			t.Errorf("incoming dialog shows %q, want the PBX caller 201 Desk 201", d)
		}
		bob.click("button", "Accept Audio")
		bob.waitText("status", regexp.MustCompile(`^Connected to 201`), signalTimeout)
		lv := bob.requireTone(1300, 10*time.Second)
		t.Logf("PBX phone → browser: ringing, answered, Asterisk's tone heard at %.1f dB %s after the PBX dialled", lv.At, time.Since(start).Round(time.Millisecond))
		s.memberHeard(t)
		bob.click("button", "Hang up")
		bob.waitUntil("idle", signalTimeout, idle())
		s.hangupAsterisk(t)
	})

	// Echo over the guide's trunk (ICE, bundled) and over DTLS without
	// ICE, SDES and plain RTP (a socket pair per m-line).
	cells := []struct{ mode, number string }{{"webrtc", "600"}}
	for _, mode := range []string{"dtls", "sdes", "rtp"} {
		cells = append(cells, struct{ mode, number string }{mode, astVideoModes[mode] + "600"})
	}
	for _, c := range cells {
		run("video-echo/"+c.mode, func(t *testing.T) {
			start := time.Now()
			admin.dial(c.number, true)
			admin.waitText("status", regexp.MustCompile(`^Connected to `+c.number), signalTimeout)
			admin.requireMediaFlowing(true, 15*time.Second)
			st := admin.stats()
			t.Logf("video call to Asterisk's Echo (%s): the browser decodes its own video coming back (%v frames, %v packets) %s after dialling",
				c.mode, st.VideoFrames, st.VideoPackets, time.Since(start).Round(time.Millisecond))
			admin.click("button", "Hang up")
			admin.waitUntil("idle", signalTimeout, idle())
			s.hangupAsterisk(t)
		})
	}

	run("reasons", func(t *testing.T) {
		for _, tc := range []struct{ number, text string }{
			{"692", "Busy"},
			{"693", "All lines busy, try again later"},
		} {
			admin.dial(tc.number, false)
			admin.waitStatusSeen(regexp.MustCompile("^"+regexp.QuoteMeta(tc.text)+"$"), signalTimeout)
			admin.waitUntil("idle", signalTimeout, idle())
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
