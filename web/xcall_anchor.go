package web

import (
	"context"
	"encoding/json"
	"errors"
	"sync"

	"xphone/cluster"
	"xphone/sfu"
)

// The anchor's side of a call across nodes: the caller's node rings the
// callee's home node, makes the callee's leg on its own media when a tab
// there accepts, and tells the home node how that leg fares.

// reasonNotRinging: the anchor no longer waits for an answer (the caller
// gave up, the call was decided). Only ever crosses the bus.
const reasonNotRinging sfu.Reason = "not_ringing"

// xout is a call of this node ringing an extension on another node.
type xout struct {
	req    sfu.DialRequest
	node   string
	result chan ringResult // buffered: the deciding step never blocks

	mu    sync.Mutex
	state ringState // ringing, claimed (a leg being made) or finished
}

// claim starts making the answering leg; false once decided.
func (o *xout) claim() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.state != ringing {
		return false
	}
	o.state = claimed
	return true
}

// deliver decides the call with res; false when it was decided already.
func (o *xout) deliver(res ringResult) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.state == finished {
		return false
	}
	o.state = finished
	o.result <- res
	return true
}

// giveUp decides the call without a result (the caller's dial ended);
// false when a result is waiting in o.result.
func (o *xout) giveUp() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.state == finished {
		return false
	}
	o.state = finished
	return true
}

// homeNodes are the live nodes other than this one that hold tabs of
// ext, in the directory's order; none when none does (or the directory
// cannot say: the caller hears unavailable, as for an extension with no
// tab on a single node).
func (r *Registry) homeNodes(ctx context.Context, ext string) []string {
	ctx, cancel := context.WithTimeout(ctx, busTimeout)
	defer cancel()
	nodes, err := r.x.c.ExtensionNodes(ctx, ext)
	if err != nil {
		r.log.Warn("cluster: cannot look the extension up", "ext", ext, "err", err)
		return nil
	}
	var out []string
	for _, n := range nodes {
		if n != r.x.c.Self() {
			out = append(out, n)
		}
	}
	return out
}

// dialAcross rings req.To on its home node and waits, as Dial does, for
// the answer (the callee's leg, made here), a refusal or the end of ctx.
func (r *Registry) dialAcross(ctx context.Context, req sfu.DialRequest) (sfu.Leg, error) {
	nodes := r.homeNodes(ctx, req.To)
	if len(nodes) == 0 {
		return nil, sfu.ErrUnavailable
	}
	o := &xout{req: req, result: make(chan ringResult, 1)}
	r.x.mu.Lock()
	r.x.outs[req.CallID] = o
	r.x.mu.Unlock()
	defer func() {
		r.x.mu.Lock()
		delete(r.x.outs, req.CallID)
		r.x.mu.Unlock()
	}()
	ring := xRing{Call: req.CallID, From: req.From.Number, FromName: req.From.Name, To: req.To, Video: req.Video,
		By: req.Transferor.Number, ByName: req.Transferor.Name}
	if err := r.ringFirst(ctx, o, nodes, ring); err != nil {
		if ctx.Err() != nil {
			r.x.tell(o.node, mCancel, xEnd{Call: req.CallID, Reason: sfu.ReasonCancelled})
			return nil, context.Cause(ctx)
		}
		return nil, errOfReason(remoteReason(err))
	}
	req.Ringing()
	return r.awaitAcross(ctx, o)
}

// ringFirst rings the first of nodes that takes the request and leaves
// it in o.node. A killed node's directory entry outlives it by up to the
// cluster TTL, but its bus subscription dies with it (ErrNoNode at once):
// the next node, where the user's reconnected tab is, rings instead of
// the caller hearing "unavailable" until the dead node's heartbeat
// expires.
func (r *Registry) ringFirst(ctx context.Context, o *xout, nodes []string, ring xRing) error {
	var err error
	for _, node := range nodes {
		r.x.mu.Lock() // out() and nodeDied read o.node under it
		o.node = node
		r.x.mu.Unlock()
		err = r.x.send(ctx, node, mRing, ring, nil)
		if err == nil || ctx.Err() != nil || !errors.Is(err, cluster.ErrNoNode) {
			return err
		}
	}
	return err
}

// awaitAcross waits for the home node's outcome of o, or tells it to stop
// ringing when ctx ends first.
func (r *Registry) awaitAcross(ctx context.Context, o *xout) (sfu.Leg, error) {
	select {
	case res := <-o.result:
		return res.leg, res.err
	case <-ctx.Done():
	}
	cause := context.Cause(ctx)
	if o.giveUp() {
		reason := sfu.ReasonCancelled
		if errors.Is(cause, sfu.ErrNoAnswer) {
			reason = sfu.ReasonNoAnswer
		}
		r.x.tell(o.node, mCancel, xEnd{Call: o.req.CallID, Reason: reason})
		return nil, cause
	}
	if res := <-o.result; res.leg != nil { // answered just as ctx ended
		_ = res.leg.Hangup(context.Background(), sfu.ReasonCancelled)
	}
	return nil, cause
}

func (r *Registry) out(call, from string) *xout {
	r.x.mu.Lock()
	defer r.x.mu.Unlock()
	if o := r.x.outs[call]; o != nil && o.node == from {
		return o
	}
	return nil
}

// onResult hears that the home node's ring ended without an answer.
func (r *Registry) onResult(_ context.Context, from string, body []byte) ([]byte, error) {
	var m xEnd
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	if o := r.out(m.Call, from); o != nil {
		o.deliver(ringResult{err: errOfReason(m.Reason)})
	}
	return nil, nil
}

// onAnswer makes the leg of the callee's tab that accepted, on this
// node's media, and hands it to the waiting dial; the reply is the SDP
// answer, with this node's media address, for the home node to pass on.
func (r *Registry) onAnswer(ctx context.Context, from string, body []byte) ([]byte, error) {
	var m xAnswer
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	o := r.out(m.Call, from)
	if o == nil || !o.claim() {
		return nil, reasonErr(reasonNotRinging)
	}
	leg, sdp, err := r.media.NewWebRTCLeg(ctx, sfu.Identity{Number: o.req.To, Name: m.Name}, m.Offer)
	if err != nil {
		o.mu.Lock()
		if o.state == claimed {
			o.state = ringing // another tab may still answer
		}
		o.mu.Unlock()
		return nil, reasonErr(sfu.ReasonFor(err))
	}
	r.anchorLeg(leg, from, m.Call)
	if !o.deliver(ringResult{leg: leg}) {
		_ = leg.Hangup(context.Background(), sfu.ReasonCancelled)
		return nil, reasonErr(reasonNotRinging)
	}
	return json.Marshal(xAnswered{SDP: sdp, Leg: leg.ID()})
}
