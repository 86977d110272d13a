package siptrunk

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"xphone/configs"
	"xphone/sfu"
)

// countingUAS stands in for a PBX behind one trunk: it counts INVITEs and
// answers 486, or 200 with a plain-RTP SDP for numbers starting "92".
type countingUAS struct {
	addr    string
	invites atomic.Int32
}

const uasAnswerSDP = "v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\n" +
	"m=audio 40000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n"

func startCountingUAS(t *testing.T, addr string) *countingUAS {
	t.Helper()
	u := &countingUAS{addr: addr}
	ua, err := sipgo.NewUA()
	must(t, err)
	srv, err := sipgo.NewServer(ua)
	must(t, err)
	srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		u.invites.Add(1)
		if strings.HasPrefix(req.Recipient.User, "92") {
			res := sip.NewSDPResponseFromRequest(req, []byte(uasAnswerSDP))
			res.AppendHeader(&sip.ContactHeader{Address: sip.Uri{User: "pbx", Host: "127.0.0.2", Port: req.Recipient.Port}})
			_ = tx.Respond(res)
			return
		}
		_ = tx.Respond(sip.NewResponseFromRequest(req, 486, "Busy Here", nil))
	})
	srv.OnAck(func(*sip.Request, sip.ServerTransaction) {})
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	conn, err := net.ListenPacket("udp4", addr)
	must(t, err)
	go func() { _ = srv.ServeUDP(conn) }()
	t.Cleanup(func() { _ = srv.Close(); _ = ua.Close(); _ = conn.Close() })
	return u
}

// tollLab is three trunks (pbx, pbx2, pbx3; plain RTP, each towards a
// counting PBX on 127.0.0.2), one shared toll-fraud gate whose transit
// rules a test changes, call control, and extensions 1001 (national,
// answered by a fake browser) and 1002 (international).
type tollLab struct {
	trunks  []*Trunk
	uas     []*countingUAS
	calls   *sfu.Calls
	gate    atomic.Pointer[Gate]
	browser atomic.Pointer[sfu.WebRTCLeg] // extension 1001's answering browser
	api     *sfu.MediaAPI
}

// ext1001 answers calls to 1001 with the lab's current browser leg.
type ext1001 struct{ lab *tollLab }

func (e ext1001) Reaches(n string) bool { return n == "1001" }

func (e ext1001) Dial(_ context.Context, req sfu.DialRequest) (sfu.Leg, error) {
	req.Ringing()
	return e.lab.browser.Load(), nil
}

func (lab *tollLab) Reaches(n string) bool { return lab.route(n) != nil }

func (lab *tollLab) Dial(ctx context.Context, req sfu.DialRequest) (sfu.Leg, error) {
	if tr := lab.route(req.To); tr != nil {
		return tr.Dial(ctx, req)
	}
	return nil, sfu.ErrNotFound
}

func (lab *tollLab) route(n string) *Trunk {
	for _, tr := range lab.trunks {
		if tr.Reaches(n) {
			return tr
		}
	}
	return nil
}

// setTransit installs a gate with these transit rules.
func (lab *tollLab) setTransit(rules ...configs.TransitRule) {
	classes := map[string]string{"1001": "national", "1002": "international"}
	lab.gate.Store(NewGate(GateConfig{
		Dialplan: []configs.DialRule{{Pattern: "0.", Trunk: "pbx", Permission: "national"},
			{Pattern: "9.", Trunk: "pbx2", Permission: "national"}, {Pattern: "7.", Trunk: "pbx3", Permission: "local"}},
		Transit: rules, ReferPermission: map[string]string{"pbx": "national"},
		Extension: func(n string) string { return classes[n] },
		Local:     func(n string) bool { _, ok := classes[n]; return ok },
	}))
}

// invites is how many INVITEs each PBX has seen.
func (lab *tollLab) invites() [3]int32 {
	return [3]int32{lab.uas[0].invites.Load(), lab.uas[1].invites.Load(), lab.uas[2].invites.Load()}
}

func newTollLab(t *testing.T) *tollLab {
	t.Helper()
	lab := &tollLab{api: testMediaAPI(t)}
	lab.setTransit()
	ext := ext1001{lab}
	permit := func(req sfu.DialRequest) error {
		if _, ok := lab.gate.Load().Route(req.To); !ok {
			return nil
		}
		_, err := lab.gate.Load().Decide(req)
		return err
	}
	lab.calls = sfu.NewCalls(sfu.CallsConfig{NoAnswerTimeout: 10 * time.Second, Permit: permit}, testLogger(), ext, lab)
	for i, name := range []string{"pbx", "pbx2", "pbx3"} {
		u := startCountingUAS(t, fmt.Sprintf("127.0.0.2:%d", 5071+i))
		tc := configs.Trunk{Name: name, Address: u.addr, Listen: fmt.Sprintf("127.0.0.1:%d", 5060+2*i), Media: "rtp",
			Codecs: []string{"pcmu"}, AllowedSources: []string{"127.0.0.2"}, Inbound: map[string]string{"4930": "1001"}}
		tr, err := New(Config{Trunk: tc, MediaIP: ourIP, Gate: lab.gate.Load}, lab.calls, testLogger())
		must(t, err)
		lab.trunks, lab.uas = append(lab.trunks, tr), append(lab.uas, u)
	}
	for _, tr := range lab.trunks { // all known before any takes a call
		must(t, tr.Start())
	}
	t.Cleanup(func() {
		lab.calls.Close()
		for _, tr := range lab.trunks {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = tr.Close(ctx)
			cancel()
		}
	})
	return lab
}

// plainOffer is a plain-RTP SDP offer from the raw PBX.
const plainOffer = "v=0\r\no=- 7 7 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\n" +
	"m=audio 40002 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n"

// attackInvite is the attack: an INVITE on trunk pbx from its
// allowed address whose From claims extension 1002.
func attackInvite(peer *rawSocket, callID, to string) string {
	return fmt.Sprintf("INVITE sip:%s@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK%d\r\n"+
		"From: <sip:1002@127.0.0.1>;tag=evil\r\nTo: <sip:%s@127.0.0.1>\r\nCall-ID: %s\r\nCSeq: 1 INVITE\r\n"+
		"Contact: <sip:1002@%s>\r\nMax-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s",
		to, ourSIP, peer.addr, time.Now().UnixNano(), to, callID, peer.addr, len(plainOffer), plainOffer)
}

// finalStatus waits for the final answer to callID's INVITE.
func finalStatus(t *testing.T, peer *rawSocket, callID string) string {
	t.Helper()
	for {
		res, ok := peer.await("SIP/2.0 ", 8*time.Second)
		if !ok {
			t.Fatalf("no final answer for %s", callID)
		}
		if !strings.Contains(res, callID) || strings.HasPrefix(res, "SIP/2.0 1") {
			continue
		}
		line, _, _ := strings.Cut(res, "\r\n")
		return line
	}
}

// TestTollFraudEntryPoints drives each entry point through real SIP and
// call control with three trunks and checks which PBX got an INVITE:
// the attack (From 1002 on trunk pbx to a pbx2 number), a REFER
// from pbx, a browser's blind transfer of a pbx caller, an attended
// transfer joining a pbx caller with a pbx2 call, and a browser's own
// call — each without a transit rule, then with transit pbx → pbx2.
func TestTollFraudEntryPoints(t *testing.T) {
	lab := newTollLab(t)
	peer := newRawSocket(t, "127.0.0.2:5090")
	none := [3]int32{}
	t.Run("attack: INVITE on pbx with From 1002 to pbx2 and back to pbx", func(t *testing.T) {
		for _, to := range []string{"9301234", "0301234", "7123"} {
			peer.send(t, attackInvite(peer, "attack-"+to, to))
			if line := finalStatus(t, peer, "attack-"+to); !strings.Contains(line, " 403 ") {
				t.Errorf("attack to %s answered %q, want 403", to, line)
			}
		}
		if got := lab.invites(); got != none {
			t.Fatalf("INVITEs at pbx/pbx2/pbx3 = %v, want none", got)
		}
		lab.setTransit(configs.TransitRule{From: "pbx", To: "pbx2", Permission: "national"})
		defer lab.setTransit()
		peer.send(t, attackInvite(peer, "transit-ok", "9301234"))
		if line := finalStatus(t, peer, "transit-ok"); !strings.Contains(line, " 486 ") {
			t.Errorf("allowed transit answered %q, want pbx2's 486", line)
		}
		if got := lab.invites(); got != [3]int32{0, 1, 0} {
			t.Errorf("with transit pbx→pbx2: INVITEs = %v, want only pbx2's", got)
		}
	})
	t.Run("browser 1002 dials out", func(t *testing.T) {
		before := lab.invites()
		_, leg := browserLeg(t, lab.api, "1002")
		_, err := lab.calls.Place(sfu.PlaceRequest{Caller: leg, To: "7123", Observer: newObserver()})
		must(t, err)
		waitUntil(t, 5*time.Second, "pbx3 called", func() bool { return lab.invites()[2] == before[2]+1 })
	})
	t.Run("REFER from pbx to a pbx2 number", func(t *testing.T) {
		lab.testRefer(t, peer)
	})
	t.Run("browser blind-transfers a pbx caller to pbx2", func(t *testing.T) {
		lab.testBlindTransfer(t, peer)
	})
	t.Run("attended transfer joins a pbx caller with a pbx2 call", func(t *testing.T) {
		lab.testAttended(t, peer)
	})
}

// inboundToExtension calls 4930 (→ 1001) from the raw PBX on trunk pbx
// and returns the established dialog and our SIP leg.
func (lab *tollLab) inboundToExtension(t *testing.T, peer *rawSocket, callID string) (*rawDialog, *Leg) {
	t.Helper()
	_, browser := browserLeg(t, lab.api, "1001")
	lab.browser.Store(browser)
	d := establishRawWith(t, lab.trunks[0], peer, callID, plainOffer)
	leg := lab.trunks[0].legFor(callID)
	waitUntil(t, 5*time.Second, "the call placed", func() bool { return leg.callID != "" })
	return d, leg
}

func (lab *tollLab) testRefer(t *testing.T, peer *rawSocket) {
	d, _ := lab.inboundToExtension(t, peer, "refer-1")
	before := lab.invites()
	line := d.request(t, "REFER", "Refer-To: <sip:9301234@127.0.0.1>\r\n", "")
	if !strings.Contains(line, " 403 ") {
		t.Errorf("REFER to pbx2 without transit: %q, want 403", strings.SplitN(line, "\n", 2)[0])
	}
	if got := lab.invites(); got != before {
		t.Fatalf("forbidden REFER: INVITEs %v → %v", before, got)
	}
	lab.setTransit(configs.TransitRule{From: "pbx", To: "pbx2", Permission: "national"})
	defer lab.setTransit()
	line = d.request(t, "REFER", "Refer-To: <sip:9301234@127.0.0.1>\r\n", "")
	if !strings.Contains(line, " 202 ") {
		t.Errorf("REFER to pbx2 with transit: %q, want 202", strings.SplitN(line, "\n", 2)[0])
	}
	// Answer our NOTIFYs and BYE like a PBX: the referrer's leg leaves
	// before the target is dialled.
	for deadline := time.Now().Add(10 * time.Second); lab.invites()[1] == before[1]; {
		if time.Now().After(deadline) {
			t.Fatal("pbx2 not called for the REFER")
		}
		if req, ok := peer.await(" SIP/2.0", 100*time.Millisecond); ok {
			peer.send(t, okTo(req))
		}
	}
}

func (lab *tollLab) testBlindTransfer(t *testing.T, peer *rawSocket) {
	_, leg := lab.inboundToExtension(t, peer, "blind-1")
	before := lab.invites()
	err := lab.calls.Transfer(leg.callID, lab.browser.Load(), "9301234")
	if !errors.Is(err, sfu.ErrForbidden) {
		t.Errorf("transfer of a pbx caller to pbx2 without transit: %v, want forbidden", err)
	}
	if got := lab.invites(); got != before {
		t.Fatalf("forbidden transfer: INVITEs %v → %v", before, got)
	}
	lab.setTransit(configs.TransitRule{From: "pbx", To: "pbx2", Permission: "national"})
	defer lab.setTransit()
	must(t, lab.calls.Transfer(leg.callID, lab.browser.Load(), "9301234"))
	waitUntil(t, 5*time.Second, "pbx2 called for the transfer", func() bool { return lab.invites()[1] == before[1]+1 })
}

func (lab *tollLab) testAttended(t *testing.T, peer *rawSocket) {
	_, inLeg := lab.inboundToExtension(t, peer, "attended-1")
	held := lab.browser.Load()
	_, consult := browserLeg(t, lab.api, "1001")
	obs := newObserver()
	consultID, err := lab.calls.Place(sfu.PlaceRequest{Caller: consult, To: "9201234", Observer: obs})
	must(t, err)
	waitFor(t, obs.connected, 5*time.Second, "the consultation call to pbx2 answered")
	err = lab.calls.CompleteTransfer(inLeg.callID, held, consultID, consult)
	if !errors.Is(err, sfu.ErrForbidden) {
		t.Errorf("joining a pbx caller with a pbx2 call without transit: %v, want forbidden", err)
	}
	select {
	case <-inLeg.Done():
		t.Fatal("the pbx caller's leg ended on a refused join")
	default:
	}
	lab.setTransit(configs.TransitRule{From: "pbx", To: "pbx2", Permission: "national"})
	defer lab.setTransit()
	must(t, lab.calls.CompleteTransfer(inLeg.callID, held, consultID, consult))
}
