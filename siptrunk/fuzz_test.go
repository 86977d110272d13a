package siptrunk

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"xphone/configs"
	"xphone/sfu"
	"xphone/siptrunk/sipmedia"
)

// Fuzz targets for what a far side controls: SIP messages through the
// front door, request inspection and the handlers (with sipgo's parser, as
// sipgo would call them), and the SDP offer/answer code. Seeds: the 49
// RFC 4475 messages and INVITEs captured from baresip (testdata). Nothing
// here sends a packet: handlers answer into a recording transaction, the
// fuzz dialog's media is never started.

// fuzzCallID is the Call-ID of the established dialog the handlers know.
const fuzzCallID = "fuzz-dialog"

// fuzzSeeds are every test message: RFC 4475 and captured INVITEs.
func fuzzSeeds(tb testing.TB) [][]byte {
	var out [][]byte
	for _, pattern := range []string{"rfc4475/*.dat", "captured/*.sip"} {
		files, err := filepath.Glob(filepath.Join("testdata", pattern))
		if err != nil || len(files) == 0 {
			tb.Fatalf("no seeds in testdata/%s: %v", pattern, err)
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				tb.Fatal(err)
			}
			out = append(out, data)
		}
	}
	return out
}

// inDialogSeeds are requests in the fuzz dialog: re-offers, refreshes,
// REFER, INFO, NOTIFY and BYE.
func inDialogSeeds() []string {
	req := func(method, extra, body string) string {
		return fmt.Sprintf("%s sip:xphone@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bKf%s\r\n"+
			"From: <sip:0300@127.0.0.2>;tag=peer\r\nTo: <sip:4930@127.0.0.1>;tag=ours\r\nCall-ID: %s\r\nCSeq: 2 %s\r\n"+
			"Max-Forwards: 70\r\nContact: <sip:0300@127.0.0.2>\r\n%sContent-Length: %d\r\n\r\n%s",
			method, method, fuzzCallID, method, extra, len(body), body)
	}
	sdpCT := "Content-Type: application/sdp\r\n"
	return []string{
		req("INVITE", sdpCT, plainOffer),
		req("INVITE", sdpCT, strings.Replace(plainOffer, "a=sendrecv", "a=sendonly", 1)),
		req("INVITE", sdpCT+"Session-Expires: 1\r\n", plainOffer),
		req("INVITE", "", ""),
		req("UPDATE", sdpCT, strings.Replace(plainOffer, "40002", "40010", 1)),
		req("UPDATE", "Session-Expires: 1800;refresher=uac\r\n", ""),
		req("REFER", "Refer-To: <sip:0123@127.0.0.1>\r\n", ""),
		req("REFER", "Refer-To: <sip:800@127.0.0.1>\r\n", ""),
		req("INFO", "Content-Type: application/dtmf-relay\r\n", "Signal=5\r\nDuration=160\r\n"),
		req("NOTIFY", "Event: refer\r\nContent-Type: message/sipfrag\r\n", "SIP/2.0 200 OK\r\n"),
		req("BYE", "", ""),
	}
}

// recordingTx is a server transaction that keeps what handlers answer.
type recordingTx struct {
	mu   sync.Mutex
	resp []*sip.Response
	done chan struct{}
}

func newRecordingTx() *recordingTx { return &recordingTx{done: make(chan struct{})} }

func (r *recordingTx) Respond(res *sip.Response) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.resp = append(r.resp, res)
	return nil
}
func (r *recordingTx) Acks() <-chan *sip.Request          { return nil }
func (r *recordingTx) OnCancel(sip.FnTxCancel) bool       { return false }
func (r *recordingTx) Terminate()                         {}
func (r *recordingTx) OnTerminate(sip.FnTxTerminate) bool { return false }
func (r *recordingTx) Done() <-chan struct{}              { return r.done }
func (r *recordingTx) Err() error                         { return nil }
func (r *recordingTx) responses() []*sip.Response         { r.mu.Lock(); defer r.mu.Unlock(); return r.resp }
func (r *recordingTx) String() string                     { return "fuzz tx" }
func (fuzzDialog) bye(context.Context) error              { return nil }
func (fuzzDialog) remoteTarget() sip.Uri                  { return sip.Uri{User: "0300", Host: "127.0.0.2", Port: 5060} }
func (fuzzDialog) session() dialogSession                 { return fuzzSession{} }
func (fuzzDialog) replaces() string                       { return "fuzz;to-tag=a;from-tag=b" }
func (fuzzSession) WriteRequest(*sip.Request) error       { return errFuzzOffline }
func (fuzzSession) Do(context.Context, *sip.Request) (*sip.Response, error) {
	return nil, errFuzzOffline
}

type (
	fuzzDialog  struct{}
	fuzzSession struct{}
)

var errFuzzOffline = fmt.Errorf("%w: the fuzz dialog sends nothing", ErrDialog)

// sipHarness is a trunk that is never started: the front door, request
// inspection and handlers run against it directly.
type sipHarness struct {
	tr    *Trunk
	clock time.Time
	src   netip.Addr
}

func newSIPHarness(tb testing.TB) *sipHarness {
	tr, err := New(Config{Trunk: configs.Trunk{Name: "pbx", Address: "127.0.0.2:5060", Listen: "127.0.0.1:5060", Media: "rtp",
		Codecs: []string{"pcmu"}}, Dialplan: []configs.DialRule{{Pattern: "0.", Trunk: "pbx", Permission: "national"}},
		Local: func(n string) bool { return n == "800" || n == "1001" }}, nil, testLogger())
	if err != nil {
		tb.Fatal(err)
	}
	h := &sipHarness{tr: tr, clock: time.Unix(1e9, 0), src: netip.MustParseAddr("127.0.0.2")}
	tr.now = func() time.Time { h.clock = h.clock.Add(time.Second); return h.clock } // never rate-limited
	tr.dua = &sipgo.DialogUA{ContactHDR: sip.ContactHeader{Address: sip.Uri{User: "xphone", Host: "127.0.0.1", Port: 5060}}}
	return h
}

// ensureDialog (re)creates the established fuzz dialog (a BYE ends it).
func (h *sipHarness) ensureDialog(tb testing.TB) {
	if h.tr.legFor(fuzzCallID) != nil {
		return
	}
	m, err := sipmedia.New(sipmedia.Config{IP: net.ParseIP("127.0.0.1"), Codecs: []string{"pcmu"}, Media: "rtp", Log: testLogger()}, "", false)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := m.Answer(context.Background(), plainOffer); err != nil {
		tb.Fatal(err)
	}
	leg, err := newLeg(sfu.NewID("sip"), sfu.Identity{Number: "0300"}, sfu.TrunkOrigin("pbx", false), m, testLogger())
	if err != nil {
		tb.Fatal(err)
	}
	leg.events, leg.callID = make(chan inboundEvent, 4), "call-fuzz"
	if err := h.tr.track(fuzzCallID, leg, nil); err != nil {
		tb.Fatal(err)
	}
	leg.setDialog(fuzzDialog{})
}

// handle runs data through the front door (datagram and stream framing)
// and, when it passes, the handler sipgo would call, checking that every
// answer is a routable SIP response and every request but ACK is answered.
func (h *sipHarness) handle(t *testing.T, data []byte) {
	h.ensureDialog(t)
	door := h.tr.door
	if n, v := door.frame(h.src, data); n < 0 || n > len(data) {
		t.Fatalf("stream verdict covers %d of %d bytes", n, len(data))
	} else {
		checkReply(t, v.reply)
	}
	v := door.datagram(h.src, data)
	checkReply(t, v.reply)
	if !v.pass || isKeepAlive(data) {
		return
	}
	if v.rewrite != nil {
		data = v.rewrite
	}
	msg, err := sip.NewParser().ParseSIP(data)
	if err != nil {
		t.Fatalf("the front door passed what sipgo cannot parse: %v", err)
	}
	req, ok := msg.(*sip.Request)
	if !ok {
		return
	}
	req.SetSource("127.0.0.2:5060")
	req.SetTransport("UDP")
	route, ok := h.tr.routes()[req.Method]
	if !ok {
		route = h.tr.noRoute
	}
	tx := newRecordingTx()
	h.tr.guard(route)(req, tx)
	if n := h.tr.Stats.Panics.Load(); n > 0 {
		t.Fatalf("a handler panicked on %q", data)
	}
	answers := tx.responses()
	if req.IsAck() {
		if len(answers) > 0 {
			t.Fatalf("an ACK was answered %d", answers[0].StatusCode)
		}
		return
	}
	if len(answers) == 0 || answers[len(answers)-1].StatusCode < 200 || answers[len(answers)-1].StatusCode > 699 {
		t.Fatalf("request %s not answered with a final status: %d answers", req.Method, len(answers))
	}
}

// checkReply: an answer the front door writes itself is one error
// response: a 4xx/5xx status line, a Via, one header section ending the
// message (copied lines cannot end it early) and no body. Copied header
// values may be as malformed as the request was (RFC 3261 §8.2.6.2 copies
// them).
func checkReply(t *testing.T, reply []byte) {
	if reply == nil {
		return
	}
	line, _, _ := bytes.Cut(reply, []byte("\r\n"))
	code := 0
	if _, err := fmt.Sscanf(string(line), "SIP/2.0 %d", &code); err != nil || code < 400 || code > 599 {
		t.Fatalf("front door answer has status line %q", line)
	}
	if end := bytes.Index(reply, []byte("\r\n\r\n")); end != len(reply)-4 || !bytes.HasSuffix(reply, []byte("Content-Length: 0\r\n\r\n")) {
		t.Fatalf("front door answer is not one message without a body:\n%q", reply)
	}
	for _, l := range headerLines(bytes.TrimSuffix(reply, []byte("\r\n\r\n"))) {
		if n := headerName(l); n == "via" || n == "v" {
			return
		}
	}
	t.Fatalf("front door answer without a Via:\n%s", reply)
}

// FuzzSIPRequest: any datagram or stream bytes from the PBX's address go
// through the front door and, when they pass, request inspection and the
// handlers (new INVITEs, requests in an established dialog, everything
// else) without a panic, and every request but an ACK gets a final answer.
func FuzzSIPRequest(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	for _, s := range inDialogSeeds() {
		f.Add([]byte(s))
	}
	h := newSIPHarness(f)
	f.Cleanup(func() { _ = h.tr.Close(context.Background()) })
	f.Fuzz(h.handle)
}
