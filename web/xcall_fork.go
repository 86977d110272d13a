package web

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"xphone/cluster"
	"xphone/configs"
	"xphone/sfu"
)

// Ringing an extension with tabs on several nodes: this node (the anchor)
// rings its own tabs and every other home node at once. The first tab to
// answer, on any node, wins; the others stop ringing with
// answered_elsewhere, as a second tab on one node does. A decline on any
// node declines the call everywhere; any other refusal ends only that
// node's branch.

// homeNodes are the live nodes other than this one that hold tabs of ext;
// none when the directory cannot say (the caller hears what this node's
// tabs, if any, say).
func (r *Registry) homeNodes(ctx context.Context, ext string) []string {
	ctx, cancel := context.WithTimeout(ctx, busTimeout)
	defer cancel()
	nodes, err := r.x.c.ExtensionNodes(ctx, ext)
	if err != nil {
		// A Redis outage is reported once, by readiness, metrics and the
		// admin page; a line per call would bury the log meanwhile.
		level := slog.LevelWarn
		if errors.Is(err, cluster.ErrUnavailable) {
			level = slog.LevelDebug
		}
		r.log.Log(ctx, level, "cluster: cannot look the extension up", "ext", ext, "err", err)
		return nil
	}
	out := make([]string, 0, len(nodes))
	for _, n := range nodes {
		if n != r.x.c.Self() {
			out = append(out, n)
		}
	}
	return out
}

// dialFork rings req.To's tabs here (if any) and on every node in nodes,
// and waits, as Dial does, for the first answer (the callee's leg, made
// here), a refusal or the end of ctx.
func (r *Registry) dialFork(ctx context.Context, req sfu.DialRequest, ext configs.Extension, nodes []string) (sfu.Leg, error) {
	o := newXout(req, nodes)
	rg := r.startRingWith(req, ext, func(rg *ring) {
		// Before any tab can see the ring (a resumed tab may at once): o is not shared yet.
		rg.makeLeg, o.live[localBranch] = o.guard(rg.localLeg), true
	})
	if rg != nil {
		defer r.endRing(rg)
	}
	r.x.mu.Lock()
	r.x.outs[req.CallID] = o
	r.x.mu.Unlock()
	defer func() {
		r.x.mu.Lock()
		delete(r.x.outs, req.CallID)
		r.x.mu.Unlock()
	}()
	r.ringNodes(ctx, o)
	if rg != nil {
		rg.notifyIncoming()
	}
	if !o.decided() {
		req.Ringing()
	}
	leg, err, fromHere := r.awaitFork(ctx, o, rg)
	r.stopBranches(o, rg, leg, err, fromHere)
	return leg, err
}

// ringNodes sends the ring to every home node at once and waits for their
// replies; a node refusing (or not answering) ends its branch.
func (r *Registry) ringNodes(ctx context.Context, o *xout) {
	req := o.req
	ring := xRing{Call: req.CallID, From: req.From.Number, FromName: req.From.Name, To: req.To, Video: req.Video,
		By: req.Transferor.Number, ByName: req.Transferor.Name}
	var wg sync.WaitGroup
	for _, n := range o.nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.x.send(ctx, n, mRing, ring, nil); err != nil {
				o.fail(n, errOfReason(remoteReason(err)))
			}
		}()
	}
	wg.Wait()
}

// awaitFork waits for the call's decision: a leg answered on another node
// (o.result), by a tab here (the local ring's result, fromHere), a
// refusal, or the end of ctx.
func (r *Registry) awaitFork(ctx context.Context, o *xout, rg *ring) (leg sfu.Leg, err error, fromHere bool) {
	var local <-chan ringResult
	if rg != nil {
		local = rg.result
	}
	for {
		select {
		case res := <-o.result:
			return res.leg, res.err, false
		case res := <-local:
			local = nil
			if res.leg != nil { // the guard claimed the call for it
				o.answeredHere()
				return res.leg, nil, true
			}
			o.fail(localBranch, res.err)
		case <-ctx.Done():
			if o.giveUp() {
				return nil, context.Cause(ctx), false
			}
			if res := <-o.result; res.leg != nil { // answered just as ctx ended
				_ = res.leg.Hangup(context.Background(), sfu.ReasonCancelled)
			}
			return nil, context.Cause(ctx), false
		}
	}
}

// stopBranches stops the rings the decision did not go to: this node's
// tabs and every other home node's hear answered_elsewhere, declined,
// cancelled or no_answer, as the tabs of one node do.
func (r *Registry) stopBranches(o *xout, rg *ring, leg sfu.Leg, err error, fromHere bool) {
	reason := sfu.ReasonAnsweredElsewhere
	if leg == nil {
		reason = sfu.ReasonFor(err)
		if reason != sfu.ReasonDeclined {
			reason = cancelReason(err)
		}
	}
	if rg != nil && !fromHere && !rg.stop(reason) && rg.answeredHere() {
		// A tab here answered as the call was decided otherwise: its leg is not wanted.
		if res := <-rg.result; res.leg != nil {
			_ = res.leg.Hangup(context.Background(), sfu.ReasonCancelled)
		}
	}
	for _, n := range o.losers() {
		r.x.tell(n, mCancel, xEnd{Call: o.req.CallID, Reason: reason})
	}
}
