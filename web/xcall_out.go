package web

import (
	"context"
	"errors"
	"sync"

	"xphone/sfu"
)

// localBranch names, among an xout's branches, this node's own tabs.
const localBranch = ""

// xout is a call of this node ringing an extension whose tabs are on
// other nodes (and maybe here too): one branch per node, decided once for
// all of them, as the tabs of one node decide one ring.
type xout struct {
	req    sfu.DialRequest
	nodes  []string        // the home nodes rung
	result chan ringResult // buffered: the deciding step never blocks

	mu     sync.Mutex
	state  ringState       // ringing, claimed (a leg being made) or finished
	live   map[string]bool // branches still ringing: node ids, localBranch
	errs   []error         // why the other branches ended
	winner string          // the node whose tab answered; localBranch for this one
}

func newXout(req sfu.DialRequest, nodes []string) *xout {
	o := &xout{req: req, nodes: nodes, result: make(chan ringResult, 1), live: map[string]bool{}}
	for _, n := range nodes {
		o.live[n] = true
	}
	return o
}

// claim starts making the answering leg; false once decided or while
// another branch's tab makes its leg.
func (o *xout) claim() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.state != ringing {
		return false
	}
	o.state = claimed
	return true
}

// unclaim undoes claim when the leg could not be made: another tab may
// still answer.
func (o *xout) unclaim() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.state == claimed {
		o.state = ringing
	}
}

// deliver decides the call with res, answered by branch winner; false
// when it was decided already.
func (o *xout) deliver(res ringResult, winner string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.state == finished {
		return false
	}
	o.winner = winner
	o.decideLocked(res)
	return true
}

func (o *xout) decideLocked(res ringResult) {
	o.state = finished
	o.result <- res
}

// answeredHere decides the call for a leg this node's tab made (after a
// claim): it is taken from the local ring, nothing goes to o.result.
func (o *xout) answeredHere() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.state, o.winner = finished, localBranch
}

// fail ends one branch with err. A decline decides the whole call, as a
// tab's decline does on one node; any other refusal (the node's last tab
// closed, busy there, the node died) only ends that branch, and the call
// fails when no branch is left.
func (o *xout) fail(branch string, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.state == finished || !o.live[branch] {
		return
	}
	delete(o.live, branch)
	o.errs = append(o.errs, err)
	switch {
	case errors.Is(err, sfu.ErrDeclined) && o.state == ringing:
		o.decideLocked(ringResult{err: err})
	case len(o.live) == 0:
		o.decideLocked(ringResult{err: worstRefusal(o.errs)})
	}
}

// worstRefusal is what the caller hears when every branch refused: the
// one saying most about the callee (declined, do-not-disturb, busy, not
// found) over unavailable.
func worstRefusal(errs []error) error {
	for _, want := range []error{sfu.ErrDeclined, sfu.ErrDoNotDisturb, sfu.ErrBusy, sfu.ErrNotFound, sfu.ErrForbidden} {
		for _, e := range errs {
			if errors.Is(e, want) {
				return want
			}
		}
	}
	return sfu.ErrUnavailable
}

// giveUp decides the call without a result (the caller's dial ended);
// false when a result is waiting in o.result or a tab here answered.
func (o *xout) giveUp() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.state == finished {
		return false
	}
	o.state = finished
	return true
}

// decided reports whether the call is decided (rings may have failed
// before any tab saw them).
func (o *xout) decided() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.state == finished
}

// losers are the nodes to stop ringing once the call is decided: all but
// the one whose tab answered.
func (o *xout) losers() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]string, 0, len(o.nodes))
	for _, n := range o.nodes {
		if n != o.winner { // node ids are never localBranch
			out = append(out, n)
		}
	}
	return out
}

// guard makes this node's tabs take part in the decision: a local tab
// answers only after claiming the whole call.
func (o *xout) guard(makeLeg legMaker) legMaker {
	return func(ctx context.Context, t *tab, offer string, setup func(*sfu.WebRTCLeg)) (sfu.Leg, string, error) {
		if !o.claim() {
			return nil, "", errNotRinging
		}
		leg, answer, err := makeLeg(ctx, t, offer, setup)
		if err != nil {
			o.unclaim()
		}
		return leg, answer, err
	}
}
