package web

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"xphone/configs"
	"xphone/sfu"
)

// maxTabCalls: a tab may hold one call and talk in another (call waiting,
// consultation before an attended transfer).
const maxTabCalls = 2

// outQueue is how many messages may wait for a slow tab before it is
// dropped; call control never blocks on a browser.
const outQueue = 64

// tab is one open WebSocket of a logged-in extension: a browser tab.
type tab struct {
	id      string
	ext     configs.Extension
	session string
	remote  string // the browser's address, for security logs
	srv     *Server
	log     *slog.Logger
	out     chan []byte
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup // call watchers

	mu    sync.Mutex // guards calls
	calls map[string]*tabCall
}

// tabCall is a call this tab has a leg in.
type tabCall struct {
	leg       sfu.Leg
	caller    bool
	connected bool
}

func newTab(srv *Server, ext configs.Extension, session, remote string) *tab {
	ctx, cancel := context.WithCancel(context.Background())
	id := sfu.NewID("tab")
	return &tab{
		id: id, ext: ext, session: session, remote: remote, srv: srv, ctx: ctx, cancel: cancel,
		log: srv.log.With("tab", id, "ext", ext.Number), out: make(chan []byte, outQueue),
		calls: map[string]*tabCall{},
	}
}

// send queues a message; a tab that cannot keep up is closed.
func (t *tab) send(msg []byte) {
	select {
	case t.out <- msg:
	case <-t.ctx.Done():
	default:
		t.log.Warn("tab too slow, closing")
		t.cancel()
	}
}

func (t *tab) sendEnded(callID string, reason sfu.Reason) {
	t.send(encode(callStateMsg{Type: "call-state", Call: callID, State: "ended", Reason: string(reason), Message: reason.Message()}))
}

func (t *tab) sendError(req, code, message string) {
	t.send(encode(errorMsg{Type: "error", Req: req, Code: code, Message: message}))
}

// handle dispatches one client message.
func (t *tab) handle(m inMsg) {
	switch m.Type {
	case "dial":
		t.dial(m)
	case "accept":
		t.accept(m)
	case "decline":
		t.decline(m)
	case "hangup":
		t.hangup(m)
	case "answer":
		t.answer(m)
	case "hold":
		t.hold(m)
	case "transfer":
		t.transfer(m)
	default:
		t.sendError(m.Req, codeBadRequest, "unknown message type "+quote(m.Type))
	}
}

func quote(s string) string {
	if len(s) > 32 {
		s = s[:32]
	}
	return `"` + s + `"`
}

func (t *tab) dial(m inMsg) {
	to := strings.TrimSpace(m.To)
	if to == "" || m.SDP == "" {
		t.sendError(m.Req, codeBadRequest, "dial needs a number and an SDP offer")
		return
	}
	if t.activeCalls() >= maxTabCalls {
		t.sendError(m.Req, codeBusyHere, "this tab already has two calls")
		return
	}
	leg, answer, err := t.negotiate(m.SDP)
	if err != nil {
		t.sendError(m.Req, codeBadRequest, "could not negotiate media: "+err.Error())
		return
	}
	id := sfu.NewID("call")
	t.legSetup(id)(leg)
	t.addCall(id, &tabCall{leg: leg, caller: true})
	t.send(encode(callStateMsg{Type: "call-state", Call: id, State: "dialing", Req: m.Req, Peer: to}))
	t.send(encode(answerFor(id, leg, answer)))
	t.watch(id, leg)
	req := sfu.PlaceRequest{ID: id, Caller: leg, To: to, Video: m.Video, PIN: m.PIN, Observer: t}
	if _, err := t.srv.calls.Place(req); err != nil {
		t.log.Warn("place call", "err", err)
		_ = leg.Hangup(context.Background(), sfu.ReasonError)
	}
}

func (t *tab) negotiate(offer string) (*sfu.WebRTCLeg, string, error) {
	ctx, cancel := context.WithTimeout(t.ctx, negotiateTimeout)
	defer cancel()
	return t.srv.media.NewWebRTCLeg(ctx, sfu.Identity{Number: t.ext.Number, Name: t.ext.Name}, offer)
}

func (t *tab) accept(m inMsg) {
	rg := t.srv.registry.ring(m.Call)
	if rg == nil {
		t.sendError(m.Req, codeUnknownCall, "no such ringing call")
		return
	}
	if t.activeCalls() >= maxTabCalls {
		t.sendError(m.Req, codeBusyHere, "this tab already has two calls")
		return
	}
	leg, answer, err := rg.accept(t, m.SDP, t.legSetup(m.Call))
	switch {
	case errors.Is(err, errNotRinging):
		t.sendError(m.Req, codeUnknownCall, "the call is no longer ringing")
		return
	case err != nil:
		t.sendError(m.Req, codeBadRequest, "could not negotiate media: "+err.Error())
		return
	}
	t.addCall(m.Call, &tabCall{leg: leg, connected: true})
	t.send(encode(answerFor(m.Call, leg, answer)))
	from := rg.req.From
	t.send(encode(callStateMsg{Type: "call-state", Call: m.Call, State: "connected", Peer: from.Number,
		PeerName: from.Name, Video: m.Video && rg.req.Video, Since: time.Now().UnixMilli()}))
	t.watch(m.Call, leg)
}

func (t *tab) decline(m inMsg) {
	rg := t.srv.registry.ring(m.Call)
	if rg == nil || rg.decline(t) != nil {
		t.sendError(m.Req, codeUnknownCall, "no such ringing call")
	}
}

func (t *tab) hangup(m inMsg) {
	t.mu.Lock()
	tc := t.calls[m.Call]
	t.mu.Unlock()
	if tc == nil {
		t.decline(m) // hanging up a ringing call declines it
		return
	}
	reason := sfu.ReasonHangup
	if tc.caller && !tc.connected {
		reason = sfu.ReasonCancelled
	}
	_ = tc.leg.Hangup(context.Background(), reason) // the watcher reports the end
}

// legSetup wires a new leg of call id to this tab: server offers, keys the
// far party presses, and (for answered calls) call progress.
func (t *tab) legSetup(id string) func(*sfu.WebRTCLeg) {
	return func(leg *sfu.WebRTCLeg) {
		leg.SetOfferHandler(t.offerHandler(id))
		leg.SetDTMFSink(func(d rune) { t.send(encode(dtmfMsg{Type: "dtmf", Call: id, Digit: string(d)})) })
		leg.SetObserver(t)
	}
}

// Ringing implements sfu.CallObserver for calls this tab placed.
func (t *tab) Ringing(callID string) {
	t.send(encode(callStateMsg{Type: "call-state", Call: callID, State: "ringing"}))
}

// Connected implements sfu.CallObserver for calls this tab placed.
func (t *tab) Connected(callID string, peer sfu.Identity, video bool, since time.Time) {
	t.mu.Lock()
	if tc := t.calls[callID]; tc != nil {
		tc.connected = true
	}
	t.mu.Unlock()
	t.send(encode(callStateMsg{Type: "call-state", Call: callID, State: "connected", Peer: peer.Number,
		PeerName: peer.Name, Video: video, Since: since.UnixMilli()}))
}

func (t *tab) addCall(id string, tc *tabCall) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.calls[id] = tc
}

func (t *tab) activeCalls() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.calls)
}

// watch reports the end of a call's leg to the tab.
func (t *tab) watch(id string, leg sfu.Leg) {
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		<-leg.Done()
		t.mu.Lock()
		delete(t.calls, id)
		t.mu.Unlock()
		t.sendEnded(id, leg.EndReason())
	}()
}

// hangupAll ends every call of the tab and waits for the watchers.
func (t *tab) hangupAll() {
	t.mu.Lock()
	legs := make([]sfu.Leg, 0, len(t.calls))
	for _, tc := range t.calls {
		legs = append(legs, tc.leg)
	}
	t.mu.Unlock()
	for _, l := range legs {
		_ = l.Hangup(context.Background(), sfu.ReasonHangup)
	}
	t.wg.Wait()
}
