package web

import (
	"context"
	"encoding/json"
	"errors"
	"sync"

	"xphone/sfu"
)

// The home node's side of a call across nodes: it rings its tabs of the
// callee for a call anchored on another node, passes the accepting tab's
// offer to the anchor and keeps a stand-in leg (remoteLeg) in the tab.

// xhome is a call anchored on another node that rings (or is answered in)
// a tab of this node, or that a tab of this node placed there
// (xcall_place.go: no ring, the leg from the start).
type xhome struct {
	anchor, call, ext string
	rg                *ring         // nil for a placed call
	stopped           chan struct{} // closed when the anchor cancels the ring
	stopOnce          sync.Once

	mu   sync.Mutex
	leg  *remoteLeg // set once a tab answered (or placed the call)
	held []xMsg     // messages for a placed call's tab before it is shown the call
	open bool       // a placed call's tab has been shown it: messages go through
}

func (h *xhome) stop() { h.stopOnce.Do(func() { close(h.stopped) }) }

// onRing rings this node's tabs of an extension for a call anchored on the
// calling node; a refusal (not found, do-not-disturb, busy, no tab) goes
// back at once with the same reason as on a single node.
func (r *Registry) onRing(_ context.Context, from string, body []byte) ([]byte, error) {
	var m xRing
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	ext, ok := r.lookup(m.To)
	switch {
	case !ok:
		return nil, reasonErr(sfu.ReasonNotFound)
	case r.x.dnd != nil && r.x.dnd(m.To):
		return nil, reasonErr(sfu.ReasonDND)
	case r.engaged(m.To):
		return nil, reasonErr(sfu.ReasonBusy)
	}
	req := sfu.DialRequest{CallID: m.Call, From: sfu.Identity{Number: m.From, Name: m.FromName}, To: m.To, Video: m.Video,
		Transferor: sfu.Identity{Number: m.By, Name: m.ByName}}
	h := &xhome{anchor: from, call: m.Call, ext: m.To, stopped: make(chan struct{})}
	// h.rg is set before any tab can see the ring (a resumed tab may).
	rg := r.startRingWith(req, ext, func(rg *ring) { h.rg, rg.makeLeg = rg, r.answerOnAnchor(h) })
	if rg == nil {
		return nil, reasonErr(sfu.ReasonUnavailable)
	}
	r.x.mu.Lock()
	r.x.homes[m.Call] = h
	r.x.mu.Unlock()
	rg.notifyIncoming()
	r.x.wg.Add(1)
	go func() {
		defer r.x.wg.Done()
		r.reportRing(h)
	}()
	return nil, nil
}

// engaged reports whether ext is in as many calls as it may be: calls on
// this node and calls across nodes ringing or answered here.
func (r *Registry) engaged(ext string) bool {
	n, limit := 0, 2
	if r.x.calls != nil {
		n, limit = r.x.calls.Engaged(ext)
	}
	r.x.mu.Lock()
	for _, h := range r.x.homes {
		if h.ext == ext {
			n++
		}
	}
	r.x.mu.Unlock()
	return n >= limit
}

// reportRing waits for the ring's outcome and tells the anchor of a
// refusal; an answer reached it already (mAnswer).
func (r *Registry) reportRing(h *xhome) {
	defer r.endRing(h.rg)
	var res ringResult
	select {
	case res = <-h.rg.result:
	case <-h.stopped:
	case <-r.x.stop:
		h.rg.cancel(sfu.ErrCancelled)
	}
	if res.leg == nil {
		r.forgetHome(h)
	}
	if res.err != nil {
		r.x.tell(h.anchor, mResult, xEnd{Call: h.call, Reason: sfu.ReasonFor(res.err)})
	}
}

func (r *Registry) forgetHome(h *xhome) {
	r.x.mu.Lock()
	defer r.x.mu.Unlock()
	if r.x.homes[h.call] == h {
		delete(r.x.homes, h.call)
	}
}

func (r *Registry) home(call, from string) *xhome {
	r.x.mu.Lock()
	defer r.x.mu.Unlock()
	if h := r.x.homes[call]; h != nil && h.anchor == from {
		return h
	}
	return nil
}

// onCancel stops ringing: the caller gave up or nobody answered in time.
func (r *Registry) onCancel(_ context.Context, from string, body []byte) ([]byte, error) {
	var m xEnd
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	if h := r.home(m.Call, from); h != nil {
		h.anchorGone(m.Reason)
	}
	return nil, nil
}

// anchorGone ends the call on this side: the ring stops, or the answered
// tab's leg ends with reason.
func (h *xhome) anchorGone(reason sfu.Reason) {
	if l := h.answered(); l != nil {
		l.end(reason)
		return
	}
	if h.rg == nil {
		return
	}
	switch reason {
	case sfu.ReasonNoAnswer, sfu.ReasonAnsweredElsewhere, sfu.ReasonDeclined: // the tabs show it as is
	default:
		reason = sfu.ReasonCancelled
	}
	if h.rg.stop(reason) {
		h.stop()
	}
}

// answered is the tab's leg once a tab answered.
func (h *xhome) answered() *remoteLeg {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.leg
}

// onEnded hears that the callee's leg on the anchor ended.
func (r *Registry) onEnded(_ context.Context, from string, body []byte) ([]byte, error) {
	var m xEnd
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	if h := r.home(m.Call, from); h != nil {
		if l := h.answered(); l != nil {
			l.end(m.Reason)
		}
	}
	return nil, nil
}

// onMsg passes a message of the anchor's call control to the callee's tab.
func (r *Registry) onMsg(_ context.Context, from string, body []byte) ([]byte, error) {
	var m xMsg
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	h := r.home(m.Call, from)
	if h == nil {
		return nil, nil
	}
	if l := h.answered(); l != nil && h.pass(m) {
		l.deliver(m)
	}
	return nil, nil
}

// pass reports whether m may go to the tab now; a placed call's messages
// wait until its tab was shown the call (dialing, answer).
func (h *xhome) pass(m xMsg) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.rg != nil || h.open {
		return true
	}
	h.held = append(h.held, m)
	return false
}

// release passes the messages held for a placed call's tab, in order, and
// lets the next ones through.
func (h *xhome) release() {
	h.mu.Lock()
	held := h.held
	h.held, h.open = nil, true
	l := h.leg
	h.mu.Unlock()
	for _, m := range held {
		l.deliver(m)
	}
}

// answerOnAnchor makes the accepting tab's leg on the anchor: the offer
// goes there, the answer (with the anchor's media address) comes back,
// and the tab keeps a stand-in leg.
func (r *Registry) answerOnAnchor(h *xhome) legMaker {
	return func(ctx context.Context, t *tab, offer string, _ func(*sfu.WebRTCLeg)) (sfu.Leg, string, error) {
		var out xAnswered
		err := r.x.send(ctx, h.anchor, mAnswer, xAnswer{Call: h.call, Number: t.ext.Number, Name: t.ext.Name, Offer: offer}, &out)
		switch {
		case err != nil && remoteReason(err) == reasonNotRinging:
			return nil, "", errNotRinging
		case err != nil:
			return nil, "", errors.Join(errOfReason(remoteReason(err)), err)
		}
		l := newRemoteLeg(r, h, t, out.Leg)
		h.mu.Lock()
		h.leg = l
		h.mu.Unlock()
		return l, out.SDP, nil
	}
}
