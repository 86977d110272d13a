package siptrunk

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"xphone/sfu"
)

// checkFeatures runs the call features across the trunk on cell c.
func (s *astSuite) checkFeatures(t *testing.T, c *astCell) {
	t.Run("wrong-password", func(t *testing.T) { s.checkWrongPassword(t) })
	t.Run("callerid", func(t *testing.T) { s.checkCallerID(t, c) })
	t.Run("reasons", func(t *testing.T) { s.checkReasons(t, c) })
	t.Run("session-timer", func(t *testing.T) { s.checkSessionTimer(t, c) })
	t.Run("early-media", func(t *testing.T) { s.checkEarlyMedia(t, c) })
	t.Run("hold-moh", func(t *testing.T) { s.checkHoldWithAsteriskMOH(t, c) })
	t.Run("hold-by-asterisk-dtls", func(t *testing.T) { s.checkHoldByAsterisk(t) })
	t.Run("transfer-blind-refer", func(t *testing.T) { s.checkBlindREFER(t, c) })
	t.Run("transfer-blind-reroute", func(t *testing.T) { s.checkBlindReroute(t, c, s.cells[2]) })
	t.Run("transfer-attended-refer", func(t *testing.T) { s.checkAttendedREFER(t, c) })
	t.Run("transfer-attended-reroute", func(t *testing.T) { s.checkAttended(t, c, s.cells[2]) })
	t.Run("transfer-by-asterisk", func(t *testing.T) { s.checkREFERFromAsterisk(t, c) })
	t.Run("presence", func(t *testing.T) { s.checkPresence(t) })
}

// checkPresence: a trunk (the guide's endpoint and trunk, renamed)
// watches hint 250, which the test adds for the device of the rtp/udp
// cell's endpoint, and 259, which has no hint. 250 goes available →
// ringing (Asterisk rings our 1003 through that endpoint) → available →
// on a call (1003 answers) → available; 259 is offline.
func (s *astSuite) checkPresence(t *testing.T) {
	s.requireModule(t, "res_pjsip_exten_state.so")
	s.requireModule(t, "res_pjsip_dialog_info_body_generator.so")
	must(t, s.ast.AddConfig("extensions.conf", "[xphone-hints]\nexten => 250,hint,PJSIP/xt-rtp-udp\n"))
	board := sfu.NewPresenceBoard(nil)
	changes := make(chan sfu.Presence, 32)
	defer board.Subscribe(func(p sfu.Presence) { changes <- p })()
	block := strings.ReplaceAll(snippet(t, s.docs, "pjsip.conf", "Xphone registers"), docAccount, "xt-presence")
	must(t, s.ast.AddConfig("pjsip.conf", s.ast.BindMedia(block)))
	tc := s.base
	reg := *tc.Register
	reg.User = "xt-presence"
	tc.Name, tc.Listen, tc.Register, tc.Presence, tc.KeepAlive = "xt-presence", "127.0.0.1:5078", &reg, []string{"250", "259"}, 0
	s.startTrunk(t, tc, "99", board)
	want := func(number string, state sfu.PresenceState) time.Duration {
		t.Helper()
		start := time.Now()
		deadline := time.After(10 * time.Second)
		for {
			for _, p := range board.Snapshot() {
				if p.Number == number && p.State == state {
					return time.Since(start)
				}
			}
			select {
			case <-changes:
			case <-time.After(100 * time.Millisecond):
			case <-deadline:
				t.Fatalf("%s never %s: %+v", number, state, board.Snapshot())
			}
		}
	}
	want("250", sfu.PresenceAvailable)
	want("259", sfu.PresenceOffline)
	rtp := s.cells[3]
	s.ext.failWith("1003", astAnswer{ring: true})
	must(t, s.ast.Originate("PJSIP/1003@"+rtp.endpoint, "690@xphone-test"))
	t.Logf("250 ringing %s after Asterisk rang its device", ms(want("250", sfu.PresenceRinging)))
	_, _ = s.ast.CLI("channel request hangup all")
	want("250", sfu.PresenceAvailable)
	p := s.newParty(t, "1003")
	s.ext.answerWith("1003", p.leg)
	must(t, s.ast.Originate("PJSIP/1003@"+rtp.endpoint, "690@xphone-test"))
	t.Logf("250 on a call %s after Asterisk called its device", ms(want("250", sfu.PresenceOnCall)))
	s.hangup(t, p)
	want("250", sfu.PresenceAvailable)
}

// transferred waits for l to end with reason transferred.
func transferred(t *testing.T, l sfu.Leg, what string) {
	t.Helper()
	select {
	case <-l.Done():
		if r := l.EndReason(); r != sfu.ReasonTransferred {
			t.Errorf("%s ended with %q, want transferred", what, r)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s still up after the transfer", what)
	}
}

// checkBlindREFER: 1001 talks to 1002 through Asterisk; 1002 (on the
// inbound dialog Asterisk opened) blind-transfers the call to 6071000 on
// the same trunk: refer_to_trunk hands it to Asterisk by REFER, Asterisk
// connects 1001 to its tone detector, and 1002's leg ends.
func (s *astSuite) checkBlindREFER(t *testing.T, c *astCell) {
	a, b := s.bridge(t, c, "1002")
	_ = s.ast.SetDB("tone607", "none")
	refers := s.ast.LogSize()
	start := time.Now()
	must(t, s.calls.Transfer(s.callOf(t, b.leg), b.leg, c.prefix+"6071000"))
	transferred(t, b.leg, "1002's leg")
	t.Logf("blind transfer by REFER: 1002 released after %s", ms(time.Since(start)))
	if s.ast.WaitLog(refers, regexpMust(`REFER sip:`), time.Second) == "" {
		t.Error("no REFER reached Asterisk")
	}
	if v := s.ast.WaitDB("tone607", "none", 10*time.Second); v != "SUCCESS" {
		t.Errorf("Asterisk's 607 after the REFER: %q, want SUCCESS (1001's 1000 Hz)", v)
	}
	t.Logf("transfer target heard the transferred party %s after the transfer", ms(time.Since(start)))
	hear(t, a, 1300, 5*time.Second, "607's 1300 Hz at the transferred 1001")
	s.hangup(t, a)
}

// checkBlindReroute: 1001 talks to Asterisk's 601 (1000 Hz) on cell c and
// blind-transfers it to 6071000 on another trunk: no REFER (another
// trunk), so we dial 6071000 for the 601 channel and bridge the two.
func (s *astSuite) checkBlindReroute(t *testing.T, c, other *astCell) {
	a := s.newParty(t, "1001")
	id, _ := s.dial(t, a, c, "601")
	_ = s.ast.SetDB("tone607", "none")
	start := time.Now()
	must(t, s.calls.Transfer(id, a.leg, other.prefix+"6071000"))
	transferred(t, a.leg, "1001's leg")
	if v := s.ast.WaitDB("tone607", "none", 10*time.Second); v != "SUCCESS" {
		t.Errorf("Asterisk's 607 after the re-routed transfer: %q, want SUCCESS (601's 1000 Hz through us)", v)
	}
	t.Logf("blind transfer re-routed through Xphone: target heard the party %s after the transfer", ms(time.Since(start)))
	s.hangupAll(t)
}

// checkAttendedREFER: 1001 talks to 1002 and to 1003 through Asterisk (both
// on trunk c, refer_to_trunk), holding the first, and completes the
// transfer: a REFER with Replaces hands it to Asterisk, which joins 1002
// and 1003 itself; all of our four legs end.
func (s *astSuite) checkAttendedREFER(t *testing.T, c *astCell) {
	a, b := s.bridge(t, c, "1002")
	held := s.callOf(t, a.leg)
	must(t, s.calls.Hold(held, a.leg, true))
	a2, d := s.newParty(t, "1001"), s.newParty(t, "1003")
	s.ext.answerWith("1003", d.leg)
	must(t, d.client.StartTone(900, 16000))
	s.dial(t, a2, c, "6141003")
	hear(t, a2, 900, 5*time.Second, "1003 at 1001's consultation")
	at := s.ast.LogSize()
	start := time.Now()
	must(t, s.calls.CompleteTransfer(held, a.leg, s.callOf(t, a2.leg), a2.leg))
	transferred(t, a.leg, "1001's held leg")
	transferred(t, a2.leg, "1001's consultation leg")
	if s.ast.WaitLog(at, regexpMust(`Refer-To: <sip:[^>]*\?Replaces=`), time.Second) == "" {
		t.Error("no REFER with Replaces reached Asterisk")
	}
	b.client.ForgetHeard()
	d.client.ForgetHeard()
	hear(t, b, 900, 5*time.Second, "1003's voice at 1002 after the attended transfer")
	hear(t, d, 600, 5*time.Second, "1002's voice at 1003 after the attended transfer")
	t.Logf("attended transfer by REFER/Replaces: parties hear each other %s after completing", ms(time.Since(start)))
	if n := len(s.calls.Snapshot()); n != 2 {
		t.Errorf("%d calls through Xphone after the hand-over, want 2 (Asterisk's two calls to 1002 and 1003)", n)
	}
	s.hangupAll(t)
}

// checkAttended: 1001 holds a call to 601 (1000 Hz) on cell c, calls
// 6071000 on another cell, and completes the transfer: the legs are on
// different trunks, so the two Asterisk channels talk through us.
func (s *astSuite) checkAttended(t *testing.T, c, other *astCell) {
	a := s.newParty(t, "1001")
	held, _ := s.dial(t, a, c, "601")
	must(t, s.calls.Hold(held, a.leg, true))
	a2 := s.newParty(t, "1001")
	_ = s.ast.SetDB("tone607", "none")
	consult, _ := s.dial(t, a2, other, "6071000")
	start := time.Now()
	must(t, s.calls.CompleteTransfer(held, a.leg, consult, a2.leg))
	transferred(t, a.leg, "1001's held leg")
	transferred(t, a2.leg, "1001's consultation leg")
	if v := s.ast.WaitDB("tone607", "none", 10*time.Second); v != "SUCCESS" {
		t.Errorf("Asterisk's 607 after the attended transfer: %q, want SUCCESS (601's 1000 Hz)", v)
	}
	t.Logf("attended transfer: target heard the party %s after completing", ms(time.Since(start)))
	s.hangupAll(t)
}

// checkREFERFromAsterisk: Asterisk's Transfer() sends our caller a REFER
// to our extension 1002; we put 1001 through to 1002 and tell Asterisk.
func (s *astSuite) checkREFERFromAsterisk(t *testing.T, c *astCell) {
	s.requireModule(t, "app_transfer.so")
	a, b := s.newParty(t, "1001"), s.newParty(t, "1002")
	s.ext.answerWith("1002", b.leg)
	must(t, a.client.StartTone(1000, 16000))
	must(t, b.client.StartTone(600, 16000))
	_ = s.ast.SetDB("transfer697", "none")
	s.dial(t, a, c, "697")
	if v := s.ast.WaitDB("transfer697", "none", 10*time.Second); v != "SUCCESS" {
		t.Errorf("Asterisk's TRANSFERSTATUS: %q, want SUCCESS", v)
	}
	hear(t, a, 600, 5*time.Second, "1002's voice at 1001 after Asterisk's REFER")
	hear(t, b, 1000, 5*time.Second, "1001's voice at 1002 after Asterisk's REFER")
	_ = a.leg.Hangup(context.Background(), sfu.ReasonHangup)
	_ = b.leg.Hangup(context.Background(), sfu.ReasonHangup)
	waitUntil(t, 5*time.Second, "Asterisk's channels gone", func() bool { return s.ast.Channels() == 0 })
}

// bridge makes a call between two of our users through Asterisk: 1001
// dials 614NNN on c, Asterisk calls NNN back through c (after 2 s of
// 1300 Hz to it) and bridges the two; 1001 sends 1000 Hz, NNN 600 Hz.
// Asterisk's call presents 1001 as 21001 (a PBX marking calls it
// forwards), so the two SIP legs of the bridge are told apart in logs.
func (s *astSuite) bridge(t *testing.T, c *astCell, callee string) (a, b *party) {
	return s.bridgeVia(t, c, "614", callee)
}

// bridgeVia is bridge through Asterisk's extension exten+callee.
func (s *astSuite) bridgeVia(t *testing.T, c *astCell, exten, callee string) (a, b *party) {
	t.Helper()
	a, b = s.newParty(t, "1001"), s.newParty(t, callee)
	s.ext.answerWith(callee, b.leg)
	must(t, a.client.StartTone(1000, 16000))
	must(t, b.client.StartTone(600, 16000))
	s.dial(t, a, c, exten+callee)
	hear(t, b, 1300, 5*time.Second, "Asterisk's greeting of the called leg")
	hear(t, a, 600, 5*time.Second, callee+"'s tone at 1001 through Asterisk")
	hear(t, b, 1000, 5*time.Second, "1001's tone at "+callee+" through Asterisk")
	return a, b
}

// checkHoldWithAsteriskMOH: each of two users bridged by Asterisk holds
// in turn; Asterisk plays its music on hold (the kit's 440 Hz) to the
// other, and resuming brings the other's voice back.
func (s *astSuite) checkHoldWithAsteriskMOH(t *testing.T, c *astCell) {
	a, b := s.bridge(t, c, "1002")
	for _, tc := range []struct {
		holder, held *party
		tone         float64
	}{{b, a, 600}, {a, b, 1000}} {
		id := s.callOf(t, tc.holder.leg)
		must(t, s.calls.Hold(id, tc.holder.leg, true))
		hear(t, tc.held, 440, 5*time.Second, "Asterisk's music on hold at the held party")
		must(t, s.calls.Hold(id, tc.holder.leg, false))
		tc.held.client.ForgetHeard()
		hear(t, tc.held, tc.tone, 5*time.Second, "the holder's voice after resume")
	}
	s.hangup(t, a)
	_ = b.leg.Hangup(context.Background(), sfu.ReasonHangup)
}

// checkHoldByAsterisk: with moh_passthrough (the kit's own accounts) and
// DTLS without ICE, Asterisk passes a hold to us as a re-INVITE
// a=sendonly: our user is held (call control's music) and resumed by its
// sendrecv re-INVITE; Asterisk restarts DTLS after each, and the audio
// comes back.
func (s *astSuite) checkHoldByAsterisk(t *testing.T) {
	c := s.addKitCell(t, "xphone-dtls", "dtls")
	a, b := s.bridgeVia(t, c, "604", "1003") // the kit's dial plan
	aleg := c.legIn(t, s.callOf(t, a.leg))
	restarts := dtlsRestarts(aleg)
	idB := s.callOf(t, b.leg)
	must(t, s.calls.Hold(idB, b.leg, true))
	waitUntil(t, 5*time.Second, "Asterisk's hold re-INVITE to 1001", func() bool { return aleg.answerDir.Load() == "recvonly" })
	a.client.ForgetHeard()
	time.Sleep(time.Second)
	if db := energyDB(a.client.Heard(time.Second)); db < -50 {
		t.Errorf("1001, held by Asterisk, hears no music on hold (%.1f dBFS)", db)
	}
	must(t, s.calls.Hold(idB, b.leg, false))
	waitUntil(t, 5*time.Second, "Asterisk's resume re-INVITE to 1001", func() bool { return aleg.answerDir.Load() == "sendrecv" })
	a.client.ForgetHeard()
	hear(t, a, 600, 5*time.Second, "1003's voice at 1001 after Asterisk's resume")
	if dtlsRestarts(aleg) == restarts {
		t.Error("Asterisk did not restart DTLS after its own re-INVITEs")
	}
	s.hangup(t, a)
	_ = b.leg.Hangup(context.Background(), sfu.ReasonHangup)
}

// checkEarlyMedia: Asterisk's Progress() and Playtones before Answer()
// (183 with SDP) reach our caller before the call is connected; after the
// answer the same media goes on.
func (s *astSuite) checkEarlyMedia(t *testing.T, c *astCell) {
	p := s.newParty(t, "1001")
	obs := newObserver()
	start := time.Now()
	_, err := s.calls.Place(sfu.PlaceRequest{Caller: p.leg, To: c.prefix + "696", Observer: obs})
	must(t, err)
	heard := hear(t, p, 1300, 3*time.Second, "Asterisk's early media")
	select {
	case <-obs.connected:
		t.Fatalf("connected before the early media was heard")
	default:
	}
	waitFor(t, obs.ringing, time.Second, "ringing")
	t.Logf("early media heard %s after dialling, before the answer", ms(heard))
	waitFor(t, obs.connected, 5*time.Second, "the answer")
	t.Logf("answered after %s", ms(time.Since(start)))
	hear(t, p, 800, 3*time.Second, "Asterisk's 800 Hz after the answer")
	s.hangup(t, p)
}

// checkWrongPassword: a trunk with a wrong password is refused (401) and
// says so in its status; it retries with backoff, not in a loop.
func (s *astSuite) checkWrongPassword(t *testing.T) {
	tc := s.base
	tc.Name, tc.Listen, tc.Transport = "wrongpw", "127.0.0.1:5079", "udp"
	reg := *tc.Register
	reg.User, reg.Password = "xt-rtp-udp", "not-the-password"
	tc.Register, tc.Media, tc.ICE, tc.KeepAlive = &reg, "rtp", "", 0
	tr, err := New(Config{Trunk: tc, MediaIP: ourIP}, nil, testLogger())
	must(t, err)
	tr.backoff = [2]time.Duration{time.Second, time.Second}
	must(t, tr.Start())
	defer func() { _ = tr.Close(context.Background()) }()
	var lastErr error
	waitUntil(t, 5*time.Second, "the refusal", func() bool { _, _, lastErr = tr.Status(); return lastErr != nil })
	ok, n, _ := tr.Status()
	t.Logf("status: registered=%v count=%d err=%v", ok, n, lastErr)
	if ok || n != 0 || !errors.Is(lastErr, ErrRegister) || !strings.Contains(lastErr.Error(), "401") {
		t.Errorf("wrong password: registered=%v count=%d err=%v, want a 401 registration error", ok, n, lastErr)
	}
	time.Sleep(1500 * time.Millisecond)
	if a := len(tr.attemptTimes()); a < 2 || a > 3 {
		t.Errorf("%d REGISTER attempts in ≈1.5 s with 1 s backoff, want 2 or 3", a)
	}
	// the right account is still registered: a wrong password elsewhere does not unbind it
	if c := s.cells[3]; c.endpoint == "xt-rtp-udp" {
		if ok, _, _ := c.trunk.Status(); !ok {
			t.Error("xt-rtp-udp lost its registration")
		}
	}
}

// checkCallerID: our user's number and name reach Asterisk (From carries
// the account, P-Asserted-Identity the user); Asterisk's caller reaches
// our user from its P-Asserted-Identity, and a withheld number stays
// withheld.
func (s *astSuite) checkCallerID(t *testing.T, c *astCell) {
	p := s.newParty(t, "1001")
	_ = s.ast.SetDB("cid", "none")
	s.dial(t, p, c, "691")
	if v := s.ast.WaitDB("cid", "none", 5*time.Second); v != "1001|N1001" {
		t.Errorf("Asterisk's CALLERID of our user: %q, want 1001|N1001", v)
	}
	s.hangup(t, p)

	for _, tc := range []struct {
		exten string
		want  sfu.Identity
	}{
		{"cid", sfu.Identity{Number: "201", Name: "Desk 201"}},
		{"cidpriv", sfu.Identity{Number: "anonymous", Name: "Anonymous"}},
	} {
		q := s.newParty(t, "1002")
		s.ext.answerWith("1002", q.leg)
		must(t, s.ast.Originate("Local/"+tc.exten+"@xphone-test", "691@xphone-test"))
		hear(t, q, 1300, 10*time.Second, "Asterisk's call ("+tc.exten+")")
		if got := s.ext.caller("1002"); got != tc.want {
			t.Errorf("%s: our user sees the caller as %+v, want %+v", tc.exten, got, tc.want)
		}
		s.hangup(t, q)
	}
}

// checkReasons: Asterisk's failures reach our caller as the UI's reasons,
// and ours reach Asterisk's Dial as the statuses its dial plan expects.
func (s *astSuite) checkReasons(t *testing.T, c *astCell) {
	for _, tc := range []struct {
		exten string
		want  sfu.Reason
	}{
		{"692", sfu.ReasonBusy},
		{"693", sfu.ReasonCongestion},
		{"694", sfu.ReasonDeclined},
		{"695", sfu.ReasonNoAnswer},
	} {
		p := s.newParty(t, "1001")
		obs := newObserver()
		_, err := s.calls.Place(sfu.PlaceRequest{Caller: p.leg, To: c.prefix + tc.exten, Observer: obs})
		must(t, err)
		select {
		case <-p.leg.Done():
		case <-time.After(10 * time.Second):
			t.Fatalf("call to %s not ended", tc.exten)
		}
		if r := p.leg.EndReason(); r != tc.want {
			t.Errorf("call to %s ended with %q, want %q", tc.exten, r, tc.want)
		}
	}
	for _, tc := range []struct {
		name string
		ext  astAnswer
		want string
	}{
		{"busy", astAnswer{err: sfu.ErrBusy}, "BUSY|17"},
		{"declined", astAnswer{err: sfu.ErrDeclined}, "CHANUNAVAIL|21"}, // Asterisk's Dial on any 603
		{"no answer", astAnswer{ring: true}, "NOANSWER|19"},             // our no-answer timeout (1 s) before its Dial's (4 s)
	} {
		if tc.ext.ring {
			s.calls.SetNoAnswerTimeout(time.Second)
		}
		s.ext.failWith("1003", tc.ext)
		_ = s.ast.SetDB("dialstatus", "none")
		_ = s.ast.Originate("Local/dial1003@xphone-test", "690@xphone-test")
		if v := s.ast.WaitDB("dialstatus", "none", 10*time.Second); v != tc.want {
			t.Errorf("our %s reached Asterisk's Dial as %q, want %q", tc.name, v, tc.want)
		}
		s.calls.SetNoAnswerTimeout(15 * time.Second)
	}
}

// checkSessionTimer: Asterisk (timers=yes) agrees to our session timer on
// an outbound call and takes our refresh; on its own call it gets our 200
// with Session-Expires and Require: timer.
func (s *astSuite) checkSessionTimer(t *testing.T, c *astCell) {
	p := s.newParty(t, "1001")
	id, _ := s.dial(t, p, c, "601")
	sip := c.legIn(t, id)
	if sip.timer == nil {
		t.Fatal("no session timer agreed with Asterisk")
	}
	t.Logf("outbound: interval %s, refresher %s, we refresh: %v", sip.timer.interval, sip.timer.refresher, sip.timer.weRefresh)
	if !sip.timer.weRefresh {
		t.Errorf("Asterisk did not leave the refresh to us (refresher %s)", sip.timer.refresher)
	}
	if !sip.refresh(sip.timer) {
		t.Error("Asterisk refused our session refresh")
	}
	hear(t, p, 1000, 5*time.Second, "Asterisk's 601 after the refresh")
	s.hangup(t, p)

	at := s.ast.LogSize()
	q := s.newParty(t, "1002")
	s.ext.answerWith("1002", q.leg)
	must(t, s.ast.Originate("PJSIP/1002@"+c.endpoint, "690@xphone-test"))
	hear(t, q, 1300, 10*time.Second, "Asterisk's call")
	ok := s.ast.WaitLog(at, regexpMust(`(?s)SIP/2\.0 200 OK.*?Session-Expires: \d+;refresher=\w+`), 2*time.Second)
	if ok == "" || !strings.Contains(s.ast.LogSince(at), "Require: timer") {
		t.Errorf("our 200 to Asterisk lacks Session-Expires/Require: timer:\n%s", ok)
	}
	s.hangup(t, q)
}

// astAnswer is how extension 1003 fails Asterisk's call.
type astAnswer struct {
	err  error
	ring bool // ring until Asterisk gives up
}

// failWith makes number refuse the next call as a says.
func (e *astExtensions) failWith(number string, a astAnswer) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.fail == nil {
		e.fail = map[string]astAnswer{}
	}
	e.fail[number] = a
}

// energyDB is the RMS level of pcm in dBFS.
func energyDB(pcm []int16) float64 {
	if len(pcm) == 0 {
		return -200
	}
	var sum float64
	for _, v := range pcm {
		sum += float64(v) * float64(v)
	}
	return 10 * math.Log10(sum/float64(len(pcm))/(32768*32768)+1e-20)
}
