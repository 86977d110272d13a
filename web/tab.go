package web

import (
	"context"
	"errors"
	"fmt"
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

// tab is one browser tab of a logged-in extension. It outlives its
// WebSocket: when the socket drops, the tab (and its calls) wait for the
// browser to reconnect and resume (tabconn.go); the calls end only when
// their media is gone too (sfu liveness) or the tab closes for good.
type tab struct {
	id      string
	ext     configs.Extension
	session string
	remote  string // the browser's address, for security logs
	srv     *Server
	log     *slog.Logger
	ctx     context.Context // the tab's whole life
	cancel  context.CancelFunc
	wg      sync.WaitGroup // call watchers and request workers
	ended   sync.Once      // finish runs once

	mu     sync.Mutex // guards everything below
	calls  map[string]*tabCall
	conn   *tabConn          // the attached socket; nil while detached
	linger *time.Timer       // ends a detached tab that has no calls
	recent [][]byte          // the last calls' ended messages, replayed on resume
	lanes  map[string]*lane  // per-call request queues (lanes.go)
	accept map[string]string // calls being accepted → "" or "hangup" asked meanwhile
	coming int               // calls being dialled or accepted, not yet in calls
}

// tabCall is a call this tab has a leg in. last keeps the latest message
// of each kind about it, which is what a resuming tab is sent again.
type tabCall struct {
	leg       sfu.Leg
	caller    bool
	connected bool
	req       string // the request id of the dial that placed it
	last      map[string][]byte
	chat      []sfu.ChatMessage // a room's chat so far, replayed on resume
}

func newTab(srv *Server, ext configs.Extension, session, remote string) *tab {
	ctx, cancel := context.WithCancel(context.Background())
	id := sfu.NewID("tab")
	return &tab{
		id: id, ext: ext, session: session, remote: remote, srv: srv, ctx: ctx, cancel: cancel,
		log: srv.log.With("tab", id, "ext", ext.Number), calls: map[string]*tabCall{},
		lanes: map[string]*lane{}, accept: map[string]string{},
	}
}

// send queues a message on the attached socket. While detached it is
// dropped: the resume sends the state again. A socket that cannot keep up
// is dropped too, and the browser reconnects and resumes.
func (t *tab) send(msg []byte) {
	t.mu.Lock()
	c := t.conn
	t.mu.Unlock()
	if c != nil {
		c.queue(msg, t.log)
	}
}

// sendCall sends a message about call id and remembers it as the latest of
// its kind, for a resume.
func (t *tab) sendCall(id, kind string, msg []byte) {
	t.mu.Lock()
	if tc := t.calls[id]; tc != nil {
		tc.last[kind] = msg
	}
	t.mu.Unlock()
	t.send(msg)
}

// maxRecentEnded bounds the ended messages kept for a resume.
const maxRecentEnded = 8

func (t *tab) sendEnded(callID string, reason sfu.Reason) {
	msg := encode(callStateMsg{Type: "call-state", Call: callID, State: "ended", Reason: string(reason)})
	t.mu.Lock()
	t.recent = append(t.recent, msg)
	if len(t.recent) > maxRecentEnded {
		t.recent = t.recent[1:]
	}
	t.mu.Unlock()
	t.send(msg)
}

func (t *tab) sendError(req, code, message string) {
	t.send(encode(errorMsg{Type: "error", Req: req, Code: code, Message: message}))
}

// sendNegotiationError tells the tab its offer could not be answered, with
// a reason the UI shows: the server has no address for media (a setting
// to fix), or the offer itself did not negotiate.
func (t *tab) sendNegotiationError(req string, err error) {
	reason := "negotiation"
	if errors.Is(err, sfu.ErrNoMedia) {
		reason = "no_media_address"
	}
	t.send(encode(errorMsg{Type: "error", Req: req, Code: codeBadRequest, Reason: reason, Message: "could not negotiate media: " + err.Error()}))
}

// sendRefused refuses a request with a reason code the UI shows, and a
// message for developers.
func (t *tab) sendRefused(req string, reason refusal, message string) {
	t.send(encode(errorMsg{Type: "error", Req: req, Code: codeNotAllowed, Reason: string(reason), Message: message}))
}

// handle dispatches one client message. Nothing here may block the read
// loop: anything that waits (negotiating media, call control that may be
// busy dialling) runs on a worker (lanes.go), so the socket keeps being
// read and its keep-alive answered.
func (t *tab) handle(m inMsg) {
	switch m.Type {
	case "dial":
		t.goWork(func() { t.dial(m) })
	case "accept":
		t.goAccept(m)
	case "decline":
		t.decline(m)
	case "hangup":
		t.hangup(m)
	case "answer":
		t.inLane(m, t.answer)
	case "hold":
		t.inLane(m, t.hold)
	case "transfer":
		t.inLane(m, t.transfer)
	case "ice-restart":
		t.inLane(m, t.restartICE)
	case "camera":
		t.inLane(m, t.camera)
	case "dnd":
		t.goWork(func() { t.setDND(m) })
	case "history-seen":
		t.srv.desk.MarkSeen(t.ext.Number, m.ID)
	case "chat":
		t.inLane(m, t.chat)
	case "hand":
		t.inLane(m, t.hand)
	case "mute":
		t.inLane(m, t.mute)
	case "screen":
		t.inLane(m, t.screen)
	case "moderate":
		t.inLane(m, t.moderate)
	case "record":
		t.inLane(m, t.record)
	default:
		t.sendError(m.Req, codeBadRequest, "unknown message type "+quote(m.Type))
	}
}

// setDND turns the extension's do-not-disturb on or off; every tab of it
// hears the new state (dnd), or this one the refusal when the store fails.
func (t *tab) setDND(m inMsg) {
	if err := t.srv.desk.SetDND(t.ext.Number, m.On); err != nil {
		t.log.Error("cannot change do-not-disturb", "err", err)
		t.sendRefused(m.Req, refusedStoreDown, "cannot change do-not-disturb: "+err.Error())
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
	if t.refuseDraining(m.Req) {
		return
	}
	if !t.reserveCall() {
		t.sendError(m.Req, codeBusyHere, "this tab already has two calls")
		return
	}
	defer t.releaseCall()
	if !t.reserveLeg(m.Req) {
		return
	}
	if node := t.srv.dialNode(to); node != "" {
		t.dialOn(m, to, node) // a trunk that only its registering node may dial out through
		return
	}
	leg, answer, err := t.negotiate(m.SDP)
	if err != nil {
		t.srv.releaseLeg(t.ext.Number)
		t.sendNegotiationError(m.Req, err)
		return
	}
	id := sfu.NewID("call")
	t.legSetup(id)(leg)
	if !t.showOutgoing(id, leg, m.Req, to, answer) {
		return
	}
	t.watch(id, leg)
	req := sfu.PlaceRequest{ID: id, Caller: leg, To: to, Video: m.Video, PIN: m.PIN, Observer: t}
	if _, err := t.srv.calls.Place(req); err != nil {
		t.log.Warn("place call", "err", err)
		_ = leg.Hangup(context.Background(), sfu.ReasonFor(err))
	}
}

// showOutgoing makes leg the tab's outgoing call id: the tab is told it
// is dialing to and gets the server's answer. False when the tab closed
// meanwhile: the leg is hung up and its place given back.
func (t *tab) showOutgoing(id string, leg sfu.Leg, req, to, answer string) bool {
	if !t.addCall(id, &tabCall{leg: leg, caller: true, req: req}) {
		t.srv.releaseLeg(t.ext.Number)
		_ = leg.Hangup(context.Background(), sfu.ReasonHangup)
		return false
	}
	t.sendCall(id, "call-state", encode(callStateMsg{Type: "call-state", Call: id, State: "dialing", Req: req, Peer: to}))
	t.sendCall(id, "answer", encode(answerFor(id, leg, answer)))
	return true
}

func (t *tab) negotiate(offer string) (*sfu.WebRTCLeg, string, error) {
	ctx, cancel := context.WithTimeout(t.ctx, negotiateTimeout)
	defer cancel()
	return t.srv.media.NewWebRTCLeg(ctx, sfu.Identity{Number: t.ext.Number, Name: t.ext.Name}, offer)
}

// goAccept answers a ringing call on a worker; a hangup that arrives while
// the answer is being negotiated is carried out when it is done.
func (t *tab) goAccept(m inMsg) {
	t.mu.Lock()
	_, busy := t.accept[m.Call]
	if !busy {
		t.accept[m.Call] = ""
	}
	t.mu.Unlock()
	if busy {
		t.sendError(m.Req, codeUnknownCall, "the call is already being accepted")
		return
	}
	t.goWork(func() {
		t.accepting(m)
		t.mu.Lock()
		then := t.accept[m.Call]
		delete(t.accept, m.Call)
		t.mu.Unlock()
		if then == "hangup" {
			t.hangup(inMsg{Type: "hangup", Call: m.Call})
		}
	})
}

func (t *tab) accepting(m inMsg) {
	rg := t.srv.registry.ring(m.Call)
	if rg == nil {
		t.sendError(m.Req, codeUnknownCall, "no such ringing call")
		return
	}
	if !t.reserveCall() {
		t.sendError(m.Req, codeBusyHere, "this tab already has two calls")
		return
	}
	defer t.releaseCall()
	if !t.reserveLeg(m.Req) {
		return
	}
	leg, answer, err := rg.accept(t, m.SDP, t.legSetup(m.Call))
	if err != nil {
		t.srv.releaseLeg(t.ext.Number)
	}
	switch {
	case errors.Is(err, errNotRinging):
		t.sendError(m.Req, codeUnknownCall, "the call is no longer ringing")
		return
	case err != nil:
		t.sendNegotiationError(m.Req, err)
		return
	}
	from := rg.req.From
	if !t.addCall(m.Call, &tabCall{leg: leg, connected: true}) {
		t.srv.releaseLeg(t.ext.Number)
		_ = leg.Hangup(context.Background(), sfu.ReasonHangup)
		return
	}
	t.sendCall(m.Call, "answer", encode(answerFor(m.Call, leg, answer)))
	t.sendCall(m.Call, "call-state", encode(callStateMsg{Type: "call-state", Call: m.Call, State: "connected", Peer: from.Number,
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
	_, accepting := t.accept[m.Call]
	if tc == nil && accepting {
		t.accept[m.Call] = "hangup" // done once the answer is negotiated
	}
	t.mu.Unlock()
	if tc == nil {
		if !accepting {
			t.decline(m) // hanging up a ringing call declines it
		}
		return
	}
	reason := sfu.ReasonHangup
	if tc.caller && !tc.connected {
		reason = sfu.ReasonCancelled
	}
	t.goWork(func() { _ = tc.leg.Hangup(context.Background(), reason) }) // the watcher reports the end
}

// legSetup wires a new leg of call id to this tab: server offers, keys the
// far party presses, and (for answered calls) call progress.
func (t *tab) legSetup(id string) func(*sfu.WebRTCLeg) {
	return func(leg *sfu.WebRTCLeg) {
		leg.SetOfferHandler(t.offerHandler(id))
		leg.SetDTMFSink(func(d rune) { t.send(encode(dtmfMsg{Type: "dtmf", Call: id, Digit: string(d)})) })
		leg.SetObserver(t)
		t.mu.Lock()
		attached := t.conn != nil
		t.mu.Unlock()
		leg.SetSignalling(attached)
	}
}

// Ringing implements sfu.CallObserver for calls this tab placed.
func (t *tab) Ringing(callID string) {
	t.sendCall(callID, "call-state", encode(callStateMsg{Type: "call-state", Call: callID, State: "ringing"}))
}

// Connected implements sfu.CallObserver for calls this tab placed.
func (t *tab) Connected(callID string, peer sfu.Identity, video bool, since time.Time) {
	t.markConnected(callID)
	t.sendCall(callID, "call-state", encode(callStateMsg{Type: "call-state", Call: callID, State: "connected", Peer: peer.Number,
		PeerName: peer.Name, Video: video, Since: since.UnixMilli()}))
}

// markConnected notes that a call the tab placed was answered.
func (t *tab) markConnected(callID string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if tc := t.calls[callID]; tc != nil {
		tc.connected = true
	}
}

// addCall records a new call; false when the tab has already ended.
func (t *tab) addCall(id string, tc *tabCall) bool {
	if t.ctx.Err() != nil {
		return false
	}
	tc.last = map[string][]byte{}
	t.mu.Lock()
	t.calls[id] = tc
	t.mu.Unlock()
	t.srv.registry.touched(t.ext.Number)
	return true
}

// reserveCall holds one of the tab's call places for a call being dialled
// or accepted (requests run concurrently); releaseCall gives it back once
// the call is recorded or failed.
func (t *tab) reserveCall() bool {
	t.mu.Lock()
	if len(t.calls)+t.coming >= maxTabCalls {
		t.mu.Unlock()
		return false
	}
	t.coming++
	t.mu.Unlock()
	t.srv.registry.touched(t.ext.Number)
	return true
}

func (t *tab) releaseCall() {
	t.mu.Lock()
	t.coming--
	t.mu.Unlock()
	t.srv.registry.touched(t.ext.Number)
}

// reserveLeg counts a new call leg against limits.per_extension.calls,
// or tells the page why it is refused.
func (t *tab) reserveLeg(req string) bool {
	ok, limit := t.srv.reserveLeg(t.ext.Number)
	if !ok {
		t.srv.stats.LimitCalls.Add(1)
		t.srv.limitReached("calls", limit, t.ext.Number, t.remote)
		t.sendError(req, codeLimit, fmt.Sprintf("Too many calls for extension %s (limit %d)", t.ext.Number, limit))
	}
	return ok
}

// watch reports the end of a call's leg to the tab and gives back its
// place under limits.per_extension.calls (at once when the tab is ending:
// its hang-up ends the leg).
func (t *tab) watch(id string, leg sfu.Leg) {
	started := t.afterLegWork(leg, func() {
		t.srv.releaseLeg(t.ext.Number) // before the page can hear of the end
		t.mu.Lock()
		delete(t.calls, id)
		t.mu.Unlock()
		t.srv.registry.touched(t.ext.Number)
		t.sendEnded(id, leg.EndReason())
		t.lingerIfIdle()
	})
	if !started {
		t.srv.releaseLeg(t.ext.Number)
	}
}

// hangupAll ends every call of the tab with reason and waits for the
// watchers and workers.
func (t *tab) hangupAll(reason sfu.Reason) {
	t.mu.Lock()
	legs := make([]sfu.Leg, 0, len(t.calls))
	for _, tc := range t.calls {
		legs = append(legs, tc.leg)
	}
	t.mu.Unlock()
	for _, l := range legs {
		_ = l.Hangup(context.Background(), reason)
	}
	t.wg.Wait()
}
