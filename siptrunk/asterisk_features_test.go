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
