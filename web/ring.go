package web

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"xphone/sfu"
)

// ringState is where an incoming call stands on the callee's side.
type ringState int

const (
	ringing  ringState = iota
	claimed            // a tab is negotiating its answer
	answered           // the leg went to the caller
	finished           // declined, cancelled or timed out
)

// negotiateTimeout bounds how long answering an offer may take.
const negotiateTimeout = 5 * time.Second

// Errors of accepting and declining.
var (
	errNotRinging = errors.New("web: call is not ringing here")
)

type ringResult struct {
	leg sfu.Leg
	err error
}

// ring is one incoming call alerting the tabs of one extension.
type ring struct {
	req    sfu.DialRequest
	media  *sfu.MediaAPI
	log    *slog.Logger
	result chan ringResult // buffered: the deciding step never blocks

	// makeLeg answers the accepting tab's offer: a leg on this node's
	// media, or (a call anchored on another node) one on the anchor's.
	makeLeg legMaker

	mu    sync.Mutex // guards state and tabs
	state ringState
	tabs  []*tab
}

// legMaker makes the answering tab's leg from its offer; setup wires a
// leg made on this node to the tab.
type legMaker func(ctx context.Context, t *tab, offer string, setup func(*sfu.WebRTCLeg)) (sfu.Leg, string, error)

func newRing(req sfu.DialRequest, tabs []*tab, media *sfu.MediaAPI, log *slog.Logger) *ring {
	rg := &ring{req: req, media: media, log: log.With("call", req.CallID), result: make(chan ringResult, 1), tabs: slices.Clone(tabs)}
	rg.makeLeg = rg.localLeg
	return rg
}

// localLeg is the leg of a call anchored on this node.
func (rg *ring) localLeg(ctx context.Context, t *tab, offer string, setup func(*sfu.WebRTCLeg)) (sfu.Leg, string, error) {
	leg, answer, err := rg.media.NewWebRTCLeg(ctx, sfu.Identity{Number: t.ext.Number, Name: t.ext.Name}, offer)
	if err != nil {
		return nil, "", err
	}
	setup(leg)
	return leg, answer, nil
}

func (rg *ring) notifyIncoming() {
	msg := rg.incomingMsg()
	for _, t := range rg.snapshotTabs() {
		t.send(msg)
	}
}

// incomingMsg is the popup message of this call.
func (rg *ring) incomingMsg() []byte {
	return encode(incomingMsg{Type: "incoming", Call: rg.req.CallID, From: rg.req.From.Number, FromName: rg.req.From.Name,
		Video: rg.req.Video, By: rg.req.Transferor.Number, ByName: rg.req.Transferor.Name})
}

// ringingTab reports whether the call is still ringing t.
func (rg *ring) ringingTab(t *tab) bool {
	rg.mu.Lock()
	defer rg.mu.Unlock()
	return rg.state == ringing && slices.Contains(rg.tabs, t)
}

func (rg *ring) snapshotTabs() []*tab {
	rg.mu.Lock()
	defer rg.mu.Unlock()
	return slices.Clone(rg.tabs)
}

// transition moves from one of the from states to to, reporting success.
func (rg *ring) transition(to ringState, from ...ringState) bool {
	rg.mu.Lock()
	defer rg.mu.Unlock()
	if !slices.Contains(from, rg.state) {
		return false
	}
	rg.state = to
	return true
}

// endOthers tells every tab but except that the call stopped ringing.
func (rg *ring) endOthers(except *tab, reason sfu.Reason) {
	for _, t := range rg.snapshotTabs() {
		if t != except {
			t.sendEnded(rg.req.CallID, reason)
		}
	}
}

// accept answers the call from t with its SDP offer; setup wires the new
// leg to the tab before call control can see it.
func (rg *ring) accept(t *tab, offer string, setup func(*sfu.WebRTCLeg)) (sfu.Leg, string, error) {
	if !rg.hasTab(t) || !rg.transition(claimed, ringing) {
		return nil, "", errNotRinging
	}
	ctx, cancel := context.WithTimeout(context.Background(), negotiateTimeout)
	defer cancel()
	leg, answer, err := rg.makeLeg(ctx, t, offer, setup)
	if err != nil {
		rg.transition(ringing, claimed)
		return nil, "", err
	}
	if !rg.transition(answered, claimed) { // the caller gave up meanwhile
		_ = leg.Hangup(context.Background(), sfu.ReasonCancelled)
		return nil, "", errNotRinging
	}
	rg.result <- ringResult{leg: leg}
	rg.endOthers(t, sfu.ReasonAnsweredElsewhere)
	return leg, answer, nil
}

// decline refuses the call on behalf of the whole extension.
func (rg *ring) decline(t *tab) error {
	if !rg.hasTab(t) || !rg.transition(finished, ringing) {
		return errNotRinging
	}
	rg.result <- ringResult{err: sfu.ErrDeclined}
	rg.endOthers(nil, sfu.ReasonDeclined)
	return nil
}

// cancel stops ringing because the caller left or nobody answered. It
// reports false when the call was already answered or declined.
func (rg *ring) cancel(cause error) bool {
	return rg.stop(cancelReason(cause))
}

// cancelReason is what a tab is told when a ring ends with cause: no
// answer in time, or the caller gave up.
func cancelReason(cause error) sfu.Reason {
	if errors.Is(cause, sfu.ErrNoAnswer) {
		return sfu.ReasonNoAnswer
	}
	return sfu.ReasonCancelled
}

// stop ends the ring with reason shown on every tab: cancelled or
// no_answer, or (a call ringing on several nodes) answered_elsewhere or
// declined when another node's tab decided it. False when the call was
// already answered or declined here.
func (rg *ring) stop(reason sfu.Reason) bool {
	if !rg.transition(finished, ringing, claimed) {
		return false
	}
	rg.endOthers(nil, reason)
	return true
}

// answeredHere reports whether a tab of this ring answered: its leg is
// (or is about to be) in rg.result.
func (rg *ring) answeredHere() bool {
	rg.mu.Lock()
	defer rg.mu.Unlock()
	return rg.state == answered
}

// dropTab forgets a closed tab; the call keeps ringing on the others, and
// fails as unavailable when none is left.
func (rg *ring) dropTab(t *tab) {
	rg.mu.Lock()
	i := slices.Index(rg.tabs, t)
	if i < 0 {
		rg.mu.Unlock()
		return
	}
	rg.tabs = slices.Delete(rg.tabs, i, i+1)
	last := len(rg.tabs) == 0 && rg.state == ringing
	if last {
		rg.state = finished
	}
	rg.mu.Unlock()
	if last {
		rg.result <- ringResult{err: sfu.ErrUnavailable}
	}
}

func (rg *ring) hasTab(t *tab) bool {
	rg.mu.Lock()
	defer rg.mu.Unlock()
	return slices.Contains(rg.tabs, t)
}
