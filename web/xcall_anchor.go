package web

import (
	"context"
	"encoding/json"
	"slices"

	"xphone/sfu"
)

// The anchor's side of a call across nodes: the caller's node rings the
// callee's home nodes (xcall_fork.go), makes the callee's leg on its own
// media when a tab there accepts, and tells the home node how that leg
// fares.

// reasonNotRinging: the anchor no longer waits for an answer (the caller
// gave up, the call was decided). Only ever crosses the bus.
const reasonNotRinging sfu.Reason = "not_ringing"

func (r *Registry) out(call, from string) *xout {
	r.x.mu.Lock()
	defer r.x.mu.Unlock()
	if o := r.x.outs[call]; o != nil && slices.Contains(o.nodes, from) {
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
		o.fail(from, errOfReason(m.Reason))
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
	r.anchorLeg(leg, from, m.Call, false)
	if !o.deliver(ringResult{leg: leg}, from) {
		_ = leg.Hangup(context.Background(), sfu.ReasonCancelled)
		return nil, reasonErr(reasonNotRinging)
	}
	return json.Marshal(xAnswered{SDP: sdp, Leg: leg.ID()})
}
