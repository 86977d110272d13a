package siptrunk

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"xphone/configs"
	"xphone/internal/testpeers"
	"xphone/sfu"
	"xphone/sfu/sfutest"
)

// The Asterisk interop suite: one real Asterisk 22 (the kit in
// ../shared/asterisk) shared by every subtest, configured with the very
// snippets of docs/asterisk.md, and one call control with a trunk per media
// mode and transport ("cell"). Asterisk listens on 127.0.0.2:5062, our
// trunks on 127.0.0.1:5081….

// docPath is the administrator's guide whose snippets the suite loads.
const docPath = "../docs/asterisk.md"

// Addresses in the guide, replaced by the test's.
const (
	docPBX     = "192.0.2.10:5060"
	docXphone  = "192.0.2.5:5080"
	docAccount = "xphone-trunk"
)

// snippet is the one block of file whose first line contains title.
func snippet(t *testing.T, g testpeers.Guide, file, title string) string {
	t.Helper()
	s, err := g.Snippet(file, title)
	must(t, err)
	return s
}

// astGlue is the test's own Asterisk configuration around the guide's: the
// administrator's phones context (the kit's test extensions 600–609 and the
// suite's 690), and extension 690, which checks a call in both directions.
const astGlue = `
[phones]
include => xphone-test
include => from-xphone

[xphone-test]
; 690: 1300 Hz at once (first audio), waits for the caller's 1000 Hz,
; sends DTMF 123#, collects digits up to #, then plays 800 Hz.
exten => 690,1,Answer()
 same => n,Set(K=check-${CHANNEL(endpoint)})
 same => n,Set(DB(xphone/${K}-tone)=WAITING)
 same => n,Set(DB(xphone/${K}-dtmf)=WAITING)
 same => n,Playtones(1300)
 same => n,WaitForTone(1000,400,15)
 same => n,Set(DB(xphone/${K}-tone)=${WAITFORTONESTATUS})
 same => n,StopPlaytones()
 same => n,SendDTMF(123#,200,200)
 same => n,Set(DB(xphone/${K}-dtmf)=READING)
 same => n,Read(DIGITS,,0,,1,15)
 same => n,Set(DB(xphone/${K}-dtmf)=${DIGITS})
 same => n,Playtones(800)
 same => n,Wait(600)
 same => n,Hangup()

; 614NNN: as the kit's 604NNN (calls Xphone's NNN back through the calling
; endpoint and bridges), but presenting the caller as 2 + its number, as a
; PBX that marks calls it forwards
exten => _614XXXX,1,Set(CALLERID(num)=2${CALLERID(num)})
 same => n,Dial(PJSIP/${EXTEN:3}@${CHANNEL(endpoint)},30,U(xphone-answered))
 same => n,Hangup()

; 691: the caller's CallerID as Asterisk has it, then 1300 Hz
exten => 691,1,Answer()
 same => n,Set(DB(xphone/cid)=${CALLERID(num)}|${CALLERID(name)})
 same => n,Playtones(1300)
 same => n,Wait(600)
; 692–695: failures (busy, congestion, rejected, ringing then no answer)
exten => 692,1,Busy(10)
exten => 693,1,Congestion(10)
exten => 694,1,Hangup(21)
exten => 695,1,Ringing()
 same => n,Wait(2)
 same => n,Hangup(19)
; 696: early media: 183 with 1300 Hz for 2 s before the answer, then 800 Hz
exten => 696,1,Progress()
 same => n,Playtones(1300)
 same => n,Wait(2)
 same => n,Answer()
 same => n,Playtones(800)
 same => n,Wait(600)
; 697: Asterisk transfers its caller (REFER) to Xphone's extension 1002
; (TRANSFERSTATUS is saved by a hangup handler: our BYE follows the final
; NOTIFY at once and may end the dial plan right after Transfer())
exten => 697,1,Answer()
 same => n,Set(CHANNEL(hangup_handler_push)=xphone-test,transfer-done,1)
 same => n,Playtones(1300)
 same => n,Wait(1)
 same => n,Transfer(PJSIP/sip:1002@127.0.0.1)
 same => n,Wait(30)
exten => transfer-done,1,Set(DB(xphone/transfer697)=${TRANSFERSTATUS})
 same => n,Return()
; calls to Xphone's 1002 with a CallerID (through a Local channel whose
; other half runs the test's target), plainly and with privacy
exten => cid,1,Set(CALLERID(all)="Desk 201" <201>)
 same => n,Dial(PJSIP/1002@xt-webrtc-udp,20)
exten => cidpriv,1,Set(CALLERID(all)="Desk 202" <202>)
 same => n,Set(CALLERID(num-pres)=prohib)
 same => n,Set(CALLERID(name-pres)=prohib)
 same => n,Dial(PJSIP/1002@xt-webrtc-udp,20)
; our user 1003 as Asterisk's Dial sees it: DIALSTATUS into the astdb
exten => dial1003,1,Dial(PJSIP/1003@xt-webrtc-udp,4)
 same => n,Set(DB(xphone/dialstatus)=${DIALSTATUS}|${HANGUPCAUSE})
 same => n,Hangup()
`

// astCell is one media mode on one transport: an Asterisk endpoint made
// from the guide's registration snippet and our trunk registering to it.
type astCell struct {
	mode, transport string
	endpoint        string // Asterisk endpoint and account
	prefix          string // our dial plan: prefix+number goes out through this cell
	caller, callee  string // our users calling out and called by Asterisk (cellNumbers)
	trunk           *Trunk
}

func (c *astCell) name() string { return c.mode + "/" + c.transport }

// astSuite is the shared set-up.
type astSuite struct {
	ast   *testpeers.Asterisk
	docs  testpeers.Guide
	api   *sfu.MediaAPI
	calls *sfu.Calls
	ext   *astExtensions
	route *cellRouter
	cells []*astCell
	base  configs.Trunk // the guide's trunk, addresses replaced

	rtcpMu    sync.Mutex // guards rtcpUsers
	rtcpUsers int        // cells that need Asterisk's RTCP debug on (rtcpDebug)

	gateMu     sync.Mutex // guards the gate's rules
	rules      []configs.DialRule
	trunkNames []string
	current    *Gate
}

// startAsteriskSuite starts Asterisk with the guide's configuration. It
// skips (one line) only when the kit is not on this machine.
func startAsteriskSuite(t *testing.T) *astSuite {
	t.Helper()
	kit, err := testpeers.FindAsteriskKit()
	if errors.Is(err, testpeers.ErrNoAsteriskKit) {
		t.Skip("Asterisk interop suite skipped: no shared/asterisk kit beside the repository (CI has it)")
	}
	must(t, err)
	dir, err := os.MkdirTemp("", "xphone-ast-")
	must(t, err)
	a, err := testpeers.StartAsterisk(kit, testpeers.AsteriskOptions{Dir: dir, SIPDebug: true})
	must(t, err)
	t.Cleanup(func() {
		a.Stop()
		if t.Failed() {
			keep := filepath.Join(os.TempDir(), "xphone-ast-failed.log")
			_ = os.WriteFile(keep, []byte(a.Log()), 0o644)
			t.Logf("Asterisk's log (SIP included) kept in %s", keep)
		}
		_ = os.RemoveAll(dir)
	})
	guide, err := testpeers.ReadGuide(docPath)
	must(t, err)
	s := &astSuite{ast: a, docs: guide, api: testMediaAPI(t), ext: &astExtensions{legs: map[string]sfu.Leg{}},
		route: &cellRouter{}}
	must(t, a.LoadGuide(guide))
	must(t, a.AddConfig("extensions.conf", astGlue))
	s.base = s.docTrunk(t)
	s.calls = sfu.NewCalls(sfu.CallsConfig{NoAnswerTimeout: 15 * time.Second}, testLogger(), s.ext, s.route)
	t.Cleanup(s.calls.Close)
	return s
}

// docTrunk is the guide's xphone.yaml trunk with the test's addresses.
func (s *astSuite) docTrunk(t *testing.T) configs.Trunk {
	t.Helper()
	y := snippet(t, s.docs, "xphone.yaml", "Xphone registers")
	y = strings.NewReplacer(docPBX, s.ast.SIP, docXphone, "127.0.0.1:5080").Replace(y)
	cfg, err := configs.Parse([]byte(y))
	if err != nil {
		t.Fatalf("the guide's xphone.yaml does not load: %v", err)
	}
	return cfg.Trunks[0]
}

// addCell creates the Asterisk endpoint of mode (the guide's registration
// snippet renamed) and our trunk on transport registering to it.
func (s *astSuite) addCell(t *testing.T, mode, transport string) *astCell {
	t.Helper()
	i := len(s.cells)
	c := &astCell{mode: mode, transport: transport, endpoint: fmt.Sprintf("xt-%s-%s", mode, transport),
		prefix: fmt.Sprintf("9%d", i)}
	c.caller, c.callee = cellNumbers(i)
	block := snippet(t, s.docs, "pjsip.conf", "Xphone registers")
	block = strings.NewReplacer(docAccount, c.endpoint, "xphone-media-webrtc)", "xphone-media-"+mode+")").Replace(block)
	block = s.ast.BindMedia(block)
	must(t, s.ast.AddConfig("pjsip.conf", block))
	tc := s.base
	tc.Name, tc.Transport = c.endpoint, transport
	tc.Listen = fmt.Sprintf("127.0.0.1:%d", 5081+i)
	reg := *tc.Register
	reg.User = c.endpoint
	tc.Register = &reg
	tc.Media, tc.ICE = modeTrunk(mode)
	tc.KeepAlive = 0
	c.trunk = s.startTrunk(t, tc, c.prefix)
	s.cells = append(s.cells, c)
	return c
}

// addStaticCell makes the guide's static-peer endpoint (renamed, with
// the test's addresses) and our trunk without registration.
func (s *astSuite) addStaticCell(t *testing.T) *astCell {
	t.Helper()
	i := len(s.cells)
	c := &astCell{mode: "sdes", transport: "udp", endpoint: "xt-static", prefix: fmt.Sprintf("9%d", i)}
	c.caller, c.callee = cellNumbers(i)
	listen := fmt.Sprintf("127.0.0.1:%d", 5081+i)
	block := snippet(t, s.docs, "pjsip.conf", "static peer")
	block = strings.NewReplacer("xphone-static", c.endpoint, "192.0.2.5:5080", listen, "192.0.2.5", "127.0.0.1").Replace(block)
	must(t, s.ast.AddConfig("pjsip.conf", s.ast.BindMedia(block)))
	y := snippet(t, s.docs, "xphone.yaml", "static peer")
	y = strings.NewReplacer(docPBX, s.ast.SIP, docXphone, listen).Replace(y)
	cfg, err := configs.Parse([]byte(y))
	if err != nil {
		t.Fatalf("the guide's static-peer xphone.yaml does not load: %v", err)
	}
	tc := cfg.Trunks[0]
	tc.Name = c.endpoint
	c.trunk = s.startTrunk(t, tc, c.prefix)
	s.cells = append(s.cells, c)
	return c
}

// addKitCell registers a trunk to one of the kit's own accounts (mode is
// its media); their endpoints pass holds on as re-INVITEs
// (moh_passthrough) and use the kit's dial plan (604NNN, 600–609).
func (s *astSuite) addKitCell(t *testing.T, account, mode string) *astCell {
	t.Helper()
	i := len(s.cells)
	c := &astCell{mode: mode, transport: "udp", endpoint: account, prefix: fmt.Sprintf("9%d", i)}
	c.caller, c.callee = cellNumbers(i)
	tc := s.base
	tc.Name, tc.Transport, tc.Listen = account, "udp", fmt.Sprintf("127.0.0.1:%d", 5081+i)
	tc.Register = &configs.TrunkRegister{User: account, Password: "xphone-secret"}
	tc.Media, tc.ICE = modeTrunk(mode)
	tc.KeepAlive = 0
	c.trunk = s.startTrunk(t, tc, c.prefix)
	s.cells = append(s.cells, c)
	waitUntil(t, 10*time.Second, account+" registered", func() bool { ok, _, _ := c.trunk.Status(); return ok })
	return c
}

// startTrunk starts our trunk tc whose dial rule is prefix + anything;
// board, if given, receives its presence. Every trunk decides with the
// suite's one toll-fraud gate (as the server's trunks do): all the dial
// rules, and transit between any two trunks (they are all the one PBX, as
// the guide's pbx → pbx rule).
func (s *astSuite) startTrunk(t *testing.T, tc configs.Trunk, prefix string, board ...*sfu.PresenceBoard) *Trunk {
	t.Helper()
	s.addGateRules(tc.Name, configs.DialRule{Pattern: prefix + ".", Trunk: tc.Name, Strip: len(prefix), Permission: "internal"})
	tr, err := New(Config{Trunk: tc, MediaIP: ourIP, Gate: s.gate}, s.calls, testLogger())
	must(t, err)
	if len(board) > 0 {
		tr.SetPresenceBoard(board[0])
	}
	must(t, tr.Start())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := tr.Close(ctx); err != nil {
			t.Errorf("trunk %s close: %v", tc.Name, err)
		}
	})
	s.route.add(tr)
	return tr
}

// addGateRules adds trunk's dial rule and its transit with every trunk.
func (s *astSuite) addGateRules(trunk string, rule configs.DialRule) {
	s.gateMu.Lock()
	defer s.gateMu.Unlock()
	s.rules = append(s.rules, rule)
	s.trunkNames = append(s.trunkNames, trunk)
	var transit []configs.TransitRule
	for _, a := range s.trunkNames {
		for _, b := range s.trunkNames {
			transit = append(transit, configs.TransitRule{From: a, To: b, Permission: "internal"})
		}
	}
	s.current = NewGate(GateConfig{Dialplan: slices.Clone(s.rules), Transit: transit,
		Extension: func(string) string { return "national" }, Local: s.ext.Reaches})
}

// gate is the suite's current toll-fraud gate.
func (s *astSuite) gate() *Gate {
	s.gateMu.Lock()
	defer s.gateMu.Unlock()
	return s.current
}

// modeTrunk is the trunk's media and ice keys for a guide mode.
func modeTrunk(mode string) (media, ice string) {
	switch mode {
	case "webrtc":
		return "dtls-srtp", "on"
	case "dtls":
		return "dtls-srtp", "off"
	}
	return mode, ""
}

// cellRouter is the trunks as one sfu.Dialer (as internal/server's
// trunkSet): the dial plan of each trunk picks its numbers.
type cellRouter struct {
	mu     sync.Mutex
	trunks []*Trunk
}

func (r *cellRouter) add(t *Trunk) { r.mu.Lock(); r.trunks = append(r.trunks, t); r.mu.Unlock() }

func (r *cellRouter) pick(n string) *Trunk {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range r.trunks {
		if t.Reaches(n) {
			return t
		}
	}
	return nil
}

func (r *cellRouter) Reaches(n string) bool { return r.pick(n) != nil }

func (r *cellRouter) Dial(ctx context.Context, req sfu.DialRequest) (sfu.Leg, error) {
	t := r.pick(req.To)
	if t == nil {
		return nil, sfu.ErrNotFound
	}
	return t.Dial(ctx, req)
}

// astExtensions are our users 1001–1009 as Asterisk reaches them: a test
// puts the fake browser's leg that answers under the number first.
type astExtensions struct {
	mu   sync.Mutex
	legs map[string]sfu.Leg
	from map[string]sfu.Identity // who called each number last (CallerID)
	fail map[string]astAnswer    // numbers that refuse their next call
}

// regexpMust compiles re.
func regexpMust(re string) *regexp.Regexp { return regexp.MustCompile(re) }

func (e *astExtensions) Reaches(n string) bool { return len(n) == 4 && n[0] == '1' }

func (e *astExtensions) answerWith(number string, l sfu.Leg) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.legs[number] = l
}

func (e *astExtensions) caller(number string) sfu.Identity {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.from[number]
}

func (e *astExtensions) Dial(ctx context.Context, req sfu.DialRequest) (sfu.Leg, error) {
	e.mu.Lock()
	l := e.legs[req.To]
	delete(e.legs, req.To)
	if e.from == nil {
		e.from = map[string]sfu.Identity{}
	}
	e.from[req.To] = req.From
	f, failing := e.fail[req.To]
	delete(e.fail, req.To)
	e.mu.Unlock()
	if failing {
		req.Ringing()
		if f.ring {
			<-ctx.Done()
			return nil, context.Cause(ctx)
		}
		return nil, f.err
	}
	if l == nil {
		return nil, sfu.ErrUnavailable
	}
	req.Ringing()
	return l, nil
}

// party is one fake browser in a call.
type party struct {
	client *sfutest.Client
	leg    *sfu.WebRTCLeg
	dtmf   chan rune
}

// newParty connects a fake browser for number that listens and collects
// the DTMF it is sent.
func (s *astSuite) newParty(t *testing.T, number string) *party {
	t.Helper()
	c, leg := browserLeg(t, s.api, number)
	c.Listen()
	p := &party{client: c, leg: leg, dtmf: make(chan rune, 16)}
	leg.SetDTMFSink(func(d rune) {
		select {
		case p.dtmf <- d:
		default:
		}
	})
	return p
}

// dial places an outbound call from p through cell c to number and waits
// for the answer; it returns the call id and how long setup took.
func (s *astSuite) dial(t *testing.T, p *party, c *astCell, number string) (string, time.Duration) {
	t.Helper()
	obs := newObserver()
	start := time.Now()
	id, err := s.calls.Place(sfu.PlaceRequest{Caller: p.leg, To: c.prefix + number, Observer: obs})
	must(t, err)
	select {
	case <-obs.connected:
	case <-p.leg.Done():
		t.Fatalf("%s: call to %s ended before answer: %s", c.name(), number, p.leg.EndReason())
	case <-time.After(15 * time.Second):
		t.Fatalf("%s: call to %s not answered in 15 s", c.name(), number)
	}
	return id, time.Since(start)
}

// callOf is the id of the 1:1 call leg is in.
func (s *astSuite) callOf(t *testing.T, leg sfu.Leg) string {
	t.Helper()
	for _, ci := range s.calls.Snapshot() {
		for _, p := range ci.Parties {
			if p.ID == leg.ID() {
				return ci.ID
			}
		}
	}
	t.Fatalf("leg %s is in no call", leg.ID())
	return ""
}

// hear waits until p hears freq and returns how long that took; it fails
// the test after d.
func hear(t *testing.T, p *party, freq float64, d time.Duration, what string) time.Duration {
	t.Helper()
	took := waitHeard(p.client, freq, d)
	if took >= d {
		t.Fatalf("%s: %.0f Hz not heard within %s (%.1f dBFS)", what, freq, d,
			testpeers.ToneDB(p.client.Heard(200*time.Millisecond), 48000, freq))
	}
	return took
}

// digits waits for n DTMF digits at p.
func digits(t *testing.T, p *party, n int, d time.Duration) string {
	t.Helper()
	var got []rune
	deadline := time.After(d)
	for len(got) < n {
		select {
		case r := <-p.dtmf:
			got = append(got, r)
		case <-deadline:
			return string(got)
		}
	}
	return string(got)
}

// press sends keys from p's browser, each as an RFC 4733 event.
func press(t *testing.T, p *party, keys string) {
	t.Helper()
	for _, k := range keys {
		must(t, p.client.SendDTMF(k))
		time.Sleep(80 * time.Millisecond)
	}
}

// requireModule skips the test, loudly, when the kit's Asterisk lacks module.
// The shared kit (../shared/asterisk) is built without app_transfer and the
// presence modules, and a test cannot build Asterisk: what needs them is not
// proven against that kit (docs/asterisk.md, "Kit modules"), so the test says
// so instead of passing. XPHONE_ASTERISK_KIT points at a kit that has them.
func (s *astSuite) requireModule(t *testing.T, module string) {
	t.Helper()
	out, _ := s.ast.CLI("module show like " + module)
	if !strings.Contains(out, module) {
		t.Skipf("NOT PROVEN: the Asterisk kit (%s) lacks %s; rebuild it with build.sh and %s in MODULES, "+
			"then set XPHONE_ASTERISK_KIT", s.ast.Kit, module, strings.TrimSuffix(module, ".so"))
	}
}

// hangupAll hangs up every call and waits until Asterisk has no channel.
func (s *astSuite) hangupAll(t *testing.T) {
	t.Helper()
	_, _ = s.ast.CLI("channel request hangup all")
	waitUntil(t, 5*time.Second, "Asterisk's channels gone", func() bool { return s.ast.Channels() == 0 })
	waitUntil(t, 5*time.Second, "our calls gone", func() bool { return len(s.calls.Snapshot()) == 0 })
}

// hangup ends p's call and waits until Asterisk has no channel left.
func (s *astSuite) hangup(t *testing.T, p *party) {
	t.Helper()
	_ = p.leg.Hangup(context.Background(), sfu.ReasonHangup)
	waitUntil(t, 5*time.Second, "Asterisk's channels gone", func() bool { return s.ast.Channels() == 0 })
}
