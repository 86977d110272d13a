package e2e

import (
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"xphone/internal/testpeers"
)

// SIP trunk end to end (issue 5, "Tests"): real Chromium users and a real
// baresip peer meet through the server's `trunks:` entry. baresip's ICE
// ignores 127.0.0.1, so these tests need a private network namespace with
// only loopback, where they add 127.0.0.2 to lo (scripts/test.sh runs the
// suite under `unshare -n`; by hand:
// unshare -n bash -c 'ip link set lo up && go test -race -count=1 -run TestSIP -v ./test/e2e/').

// sipConfigTemplate is the server configuration of the SIP tests: 1001 and
// 1002 may call national numbers, trunk "pbx" is a static peer (baresip)
// reached for numbers 0…, and the trunk's number 4930800 is room 800.
// fmt fills in the trunk's address (baresip), its listen address and the
// allowed source IP; %%s becomes the %s that startServer fills with
// calls.no_answer_timeout.
const sipConfigTemplate = `
xphone:
  enabled: true
http:
  listen: "127.0.0.1:0"
  path: /xphone/
media:
  interfaces: [lo]
calls:
  no_answer_timeout: %%s
extensions:
  - {number: "1001", name: Alice, password: pw1001, xphone: true, permission: national}
  - {number: "1002", name: Bob, password: pw1002, xphone: true, permission: national}
rooms:
  - {number: "800", name: Board, video: all, moderators: ["1001"]}
trunks:
  - name: pbx
    address: "%s"
    listen: "%s"
    allowed_sources: ["%s"]
    codecs: [pcmu]
    inbound:
      "4930800": "800"
dialplan:
  - {pattern: "0.", trunk: pbx, permission: national}
`

// sipSetup is a server with a trunk towards a running baresip.
type sipSetup struct {
	srv     *testServer
	baresip *testpeers.Baresip
	trunk   string // the server's SIP address (trunk listen)
}

// startSIP prepares the namespace, starts baresip with accounts (each a
// user part; they get DTLS-SRTP, ICE and PCMU; auto is auto-answer) and the
// server with a trunk towards it.
func startSIP(t *testing.T, autoAnswer bool, users ...string) *sipSetup {
	t.Helper()
	requireBrowser(t)
	requireSIPNamespace(t)
	const peerIP = "127.0.0.2"
	sip := net.JoinHostPort(peerIP, freePort(t, peerIP))
	var accounts []string
	for _, u := range users {
		a := fmt.Sprintf("<sip:%s@%s>;regint=0;mediaenc=dtls_srtp;medianat=ice;audio_codecs=pcmu", u, sip)
		if autoAnswer {
			a += ";answermode=auto"
		}
		accounts = append(accounts, a)
	}
	b := testpeers.StartBaresip(t, testpeers.BaresipOptions{
		Accounts: accounts,
		SIP:      sip,
		Ctrl:     net.JoinHostPort("127.0.0.1", freePort(t, "127.0.0.1")),
		Cons:     net.JoinHostPort("127.0.0.1", freePort(t, "127.0.0.1")),
		ToneHz:   440,
	})
	listen := net.JoinHostPort("127.0.0.1", freePort(t, "127.0.0.1"))
	cfg := fmt.Sprintf(sipConfigTemplate, sip, listen, peerIP)
	srv := startServer(t, serverOptions{config: cfg})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("---- baresip events ----\n%s\n---- baresip output ----\n%s",
				strings.Join(b.EventTypes(), "\n"), b.Output())
		}
	})
	return &sipSetup{srv: srv, baresip: b, trunk: listen}
}

// requireSIPNamespace fails unless the test runs in a network namespace
// with only loopback (baresip would otherwise advertise the machine's real
// interfaces), and makes sure 127.0.0.2 is on lo. It also fails when
// baresip or ip are missing.
func requireSIPNamespace(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"baresip", "ip"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the SIP tests need %s (%v): run scripts/install-deps.sh as root", tool, err)
		}
	}
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range ifs {
		if i.Flags&net.FlagLoopback == 0 {
			t.Fatalf("the SIP tests must run in a network namespace with only loopback (found %s): "+
				"use scripts/test.sh, or unshare -n bash -c 'ip link set lo up && go test -race -count=1 -run TestSIP -v ./test/e2e/'", i.Name)
		}
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.Equal(net.IPv4(127, 0, 0, 2)) {
			return
		}
	}
	out, err := exec.Command("ip", "addr", "add", "127.0.0.2/8", "dev", "lo").CombinedOutput()
	if err != nil && !strings.Contains(string(out), "exists") && !strings.Contains(string(out), "already assigned") {
		t.Fatalf("adding 127.0.0.2 to lo (needs root in the namespace): %v: %s", err, out)
	}
}

// freePort returns a port that is free for both UDP and TCP on ip.
func freePort(t *testing.T, ip string) string {
	t.Helper()
	for range 50 {
		u, err := net.ListenPacket("udp4", net.JoinHostPort(ip, "0"))
		if err != nil {
			t.Fatal(err)
		}
		_, port, _ := net.SplitHostPort(u.LocalAddr().String())
		l, err := net.Listen("tcp4", net.JoinHostPort(ip, port))
		_ = u.Close()
		if err == nil {
			_ = l.Close()
			return port
		}
	}
	t.Fatalf("no free port on %s", ip)
	return ""
}

// energyRate is the inbound audio energy the page receives per second,
// measured over window.
func (b *browser) energyRate(window time.Duration) (first, last mediaStats, rate float64) {
	b.t.Helper()
	first = b.stats()
	start := time.Now()
	time.Sleep(window) // the measuring window
	last = b.stats()
	return first, last, (last.AudioEnergy - first.AudioEnergy) / time.Since(start).Seconds()
}

// dtmfDigits are the digits baresip reported with CALL_DTMF_START.
func dtmfDigits(b *testpeers.Baresip) string {
	var s strings.Builder
	for _, e := range b.Events("CALL_DTMF_START") {
		s.WriteString(testpeers.Param(e))
	}
	return s.String()
}

// TestSIPBrowserCallsBaresip: 1001 dials 0200 in Chromium; the call leaves
// through the trunk (DTLS-SRTP + ICE, PCMU) to baresip, which answers with a
// 440 Hz tone. The browser hears it (totalAudioEnergy rises), types DTMF in
// the Number field (baresip reports the digits) and hangs up (baresip sees
// the BYE).
func TestSIPBrowserCallsBaresip(t *testing.T) {
	s := startSIP(t, true, "0200")
	a := newBrowser(t, "1001")
	a.login(s.srv, "1001")

	start := time.Now()
	a.dial("0200", false)
	s.baresip.WaitEvent(t, "CALL_ESTABLISHED", signalTimeout)
	a.waitText("status", regexp.MustCompile(`^Connected to 0200`), signalTimeout)
	a.waitUntil("media connected", mediaTimeout, "window.xphone.pc() && window.xphone.pc().connectionState === 'connected'")
	t.Logf("dial → connected through the trunk: %v", time.Since(start).Round(time.Millisecond))
	// baresip reports CALL_MENC "0,audio,RTP" (0 = MENC_EVENT_SECURE) once
	// DTLS-SRTP protects the audio.
	if p := testpeers.Param(s.baresip.WaitEvent(t, "CALL_MENC", signalTimeout)); !strings.HasPrefix(p, "0,audio") {
		t.Fatalf("baresip CALL_MENC %q, want 0,audio,… (secure)", p)
	}

	a.requireMediaFlowing(false, mediaTimeout)
	first, last, rate := a.energyRate(2 * time.Second)
	t.Logf("browser hears baresip: totalAudioEnergy %.4f → %.4f (%.4f/s), packets %v → %v",
		first.AudioEnergy, last.AudioEnergy, rate, first.AudioPackets, last.AudioPackets)
	// baresip's 440 Hz sine at 0.3 of full scale measured ≈0.095/s here;
	// silence stays far below 0.005/s.
	if rate < 0.005 {
		t.Fatalf("baresip's tone is too weak in the browser: totalAudioEnergy grows %.5f/s, want ≥ 0.005", rate)
	}

	// DTMF typed in the Number field during the call reaches baresip (RFC 4733).
	const digits = "123#"
	a.typeInNumber(digits)
	deadline := time.Now().Add(signalTimeout)
	for dtmfDigits(s.baresip) != digits && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if got := dtmfDigits(s.baresip); got != digits {
		t.Fatalf("baresip reported DTMF %q, want %q", got, digits)
	}

	a.click("button", "Hang up")
	s.baresip.WaitEvent(t, "CALL_CLOSED", signalTimeout)
	a.waitUntil("1001 idle", signalTimeout, idle())
}

// TestSIPRoomCaller: a PBX caller (baresip account 0300) dials the trunk
// number 4930800, which the trunk's inbound map routes to room 800, where
// two Chromium participants sit: 1001 speaks a 1000 Hz tone, 1002 is
// silent. 1001 hears nothing before baresip joins and baresip's tone after;
// 1001's tone is in baresip's recording; both Users tooltips list 0300.
func TestSIPRoomCaller(t *testing.T) {
	s := startSIP(t, false, "0300")
	dir := t.TempDir()
	alice := newMember(t, dir, "1001", "Alice", 1000, camRed)
	bob := newMember(t, dir, "1002", "Bob", 0, camGreen)
	const title = "800 · Board"
	for _, m := range []*member{alice, bob} {
		m.login(s.srv, m.ext)
		m.joinRoom("800", title, false, false)
	}
	alice.requireUsers(2, "1001 Alice", "1002 Bob")
	_, _, before := alice.energyRate(2 * time.Second)
	t.Logf("1001 hears %.5f/s of audio energy before the PBX caller joins (1002 is silent)", before)

	start := time.Now()
	s.baresip.Command(t, "dial", "sip:4930800@"+s.trunk)
	s.baresip.WaitEvent(t, "CALL_ESTABLISHED", signalTimeout)
	t.Logf("baresip dial → in room 800: %v", time.Since(start).Round(time.Millisecond))

	for _, m := range []*member{alice, bob} {
		text := m.requireUsers(3, "1001 Alice", "1002 Bob", "0300")
		t.Logf("%s: Users tooltip %q", m.ext, text)
	}

	// baresip's 440 Hz tone is in the participants' mix.
	deadline := time.Now().Add(mediaTimeout)
	var after float64
	for {
		_, _, after = alice.energyRate(time.Second)
		if after >= 0.005 && after > 10*before || time.Now().After(deadline) {
			break
		}
	}
	t.Logf("1001 hears %.5f/s of audio energy with the PBX caller in the room", after)
	if after < 0.005 || after <= 10*before {
		t.Fatalf("baresip's tone not heard by 1001: energy %.5f/s before, %.5f/s after", before, after)
	}
	_, _, bobRate := bob.energyRate(time.Second)
	t.Logf("1002 hears %.5f/s (1001's tone and baresip's)", bobRate)

	// A moderator (1001, an admin) mutes the PBX caller: the server stops
	// mixing it; lifting the mute brings it back. Recording starts with a
	// beep the PBX caller hears.
	alice.click("button", "Users 3")
	alice.click("button", "Mute 0300")
	requireEnergy(t, alice, "the muted PBX caller gone from 1001's mix", func(r float64) bool { return r < after/10 })
	alice.click("button", "Mute 0300")
	requireEnergy(t, alice, "the PBX caller back in 1001's mix", func(r float64) bool { return r > after/2 })
	alice.click("button", "Users 3")
	alice.click("button", "Record")
	alice.waitVisible("status", "Recording", signalTimeout)

	// The participants' mix (1001's 1000 Hz tone) is in baresip's recording.
	time.Sleep(2 * time.Second) // let baresip record a few seconds of the mix
	s.baresip.Command(t, "hangup", "")
	s.baresip.WaitEvent(t, "CALL_CLOSED", signalTimeout)
	// Judged on the median of 250 ms windows over the whole call, which
	// is robust against a short dip at the end; the profile and any silent
	// gaps are logged for diagnosis.
	var prof map[string][]float64
	deadline = time.Now().Add(5 * time.Second) // baresip may still be closing the file
	best := -200.0
	for {
		prof = s.baresip.DecodedToneProfile(1000)
		for _, dbs := range prof {
			if len(dbs) >= 4 {
				best = max(best, median(dbs))
			}
		}
		if best >= -20 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("baresip recorded 1001's 1000 Hz tone at a median %.1f dBFS; per 250 ms: %s; silent gaps ≥ 20 ms: %s",
		best, profileString(prof), gapString(s.baresip))
	if best < -20 {
		t.Errorf("1001's 1000 Hz tone (sent at -12 dBFS) not in baresip's recording: median %.1f dBFS, want ≥ -20", best)
	}
	beep := -200.0
	for _, dbs := range s.baresip.DecodedToneProfile(1400) {
		for _, db := range dbs {
			beep = max(beep, db)
		}
	}
	t.Logf("baresip heard the recording beep (1400 Hz) at %.1f dBFS at its loudest", beep)
	if beep < -35 {
		t.Errorf("the PBX caller did not hear the recording beep: %.1f dBFS", beep)
	}
	if db440 := s.baresip.RecordingTone(t, 440); db440 > best-10 {
		t.Errorf("baresip hears its own 440 Hz tone back at %.1f dBFS (mix-minus broken?)", db440)
	}

	// The caller leaves the roster.
	alice.requireUsers(2, "1001 Alice", "1002 Bob")
}

// profileString formats tone profiles (dB per window) compactly.
func profileString(p map[string][]float64) string {
	var s strings.Builder
	for f, dbs := range p {
		fmt.Fprintf(&s, "%s:", f)
		for _, db := range dbs {
			fmt.Fprintf(&s, " %.0f", db)
		}
		s.WriteString("; ")
	}
	return s.String()
}

// median of xs (0 for none).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// gapString lists, per decoded recording, runs of at least 20 ms of
// near-silence (|x| < 64) inside the call as start(ms)+length(ms).
func gapString(b *testpeers.Baresip) string {
	var out strings.Builder
	for _, f := range b.Recordings() {
		if !strings.HasSuffix(f, "-dec.wav") {
			continue
		}
		pcm, rate, err := testpeers.ReadWAV(f)
		if err != nil || rate == 0 {
			continue
		}
		fmt.Fprintf(&out, "%s:", filepath.Base(f))
		run := 0
		for i, x := range append(pcm, 1000) {
			if x > -64 && x < 64 {
				run++
				continue
			}
			if run >= rate/50 {
				fmt.Fprintf(&out, " %d+%d", (i-run)*1000/rate, run*1000/rate)
			}
			run = 0
		}
		out.WriteString("; ")
	}
	return out.String()
}

// requireEnergy waits until the audio energy m receives per second
// satisfies ok.
func requireEnergy(t *testing.T, m *member, what string, ok func(rate float64) bool) {
	t.Helper()
	deadline := time.Now().Add(mediaTimeout)
	for {
		_, _, rate := m.energyRate(time.Second)
		if ok(rate) {
			t.Logf("%s: %.5f/s", what, rate)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: energy still %.5f/s", what, rate)
		}
	}
}
