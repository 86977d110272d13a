package sfu

import (
	"context"
	"maps"
	"slices"
)

// SetRemote makes the other nodes' members of the room exactly members:
// stand-ins join and leave the local conference, so the Users list and
// the mix include them. Call it only while the room has local members.
func (r *CascadeRoom) SetRemote(ctx context.Context, members []CascadeMember) {
	want := map[string]CascadeMember{}
	for _, m := range members {
		if m.Node != r.self {
			want[m.ID] = m
		}
	}
	r.mu.Lock()
	var gone []*cascadeLeg
	for id, l := range r.remote {
		if w, ok := want[id]; !ok || !sameTracks(w, l.m) {
			gone = append(gone, l)
		}
	}
	r.mu.Unlock()
	for _, l := range gone {
		r.leave(l)
	}
	for _, m := range members {
		r.mu.Lock()
		_, have := r.remote[m.ID]
		r.mu.Unlock()
		if m.Node != r.self && !have {
			r.join(ctx, m)
		}
	}
	r.showStates(ctx, members)
}

func sameTracks(a, b CascadeMember) bool {
	return a.Node == b.Node && slices.Equal(a.Tracks, b.Tracks)
}

// join puts a stand-in for m into the local conference.
func (r *CascadeRoom) join(ctx context.Context, m CascadeMember) {
	l := newCascadeLeg(m, r.keyframe)
	r.mu.Lock()
	l.mod = r.moderate
	obs := silentObserver{changed: r.changed, chat: r.chatOut}
	closed := r.closed
	r.mu.Unlock()
	if closed { // a bus handler racing Close: the room is no longer ours
		return
	}
	spec, _ := r.cs.Spec(r.number)
	conf, err := r.cs.Join(ctx, r.number, spec.PIN, "cascade-"+m.ID, l, obs)
	if err != nil {
		r.log.Warn("cascade: remote member not joined", "leg", m.ID, "node", m.Node, "err", err)
		return
	}
	r.mu.Lock()
	if closed = r.closed; !closed {
		for i, t := range m.Tracks {
			r.cas.route(t.SSRC, l.ups[i])
		}
		r.remote[m.ID], r.confs[m.ID] = l, conf
	}
	r.mu.Unlock()
	if closed { // Close ran while it joined: it would stay for good
		_ = l.Hangup(context.Background(), ReasonHangup)
		r.cs.Leave(conf, l)
	}
}

// leave takes a stand-in out of the local conference.
func (r *CascadeRoom) leave(l *cascadeLeg) {
	r.mu.Lock()
	conf := r.confs[l.m.ID]
	delete(r.remote, l.m.ID)
	delete(r.confs, l.m.ID)
	r.mu.Unlock()
	for _, t := range l.m.Tracks {
		r.cas.route(t.SSRC, nil)
	}
	_ = l.Hangup(context.Background(), ReasonHangup)
	if conf != nil {
		r.cs.Leave(conf, l)
	}
}

// Remote lists the stand-ins' member ids.
func (r *CascadeRoom) Remote() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Sorted(maps.Keys(r.remote))
}

// Close takes every stand-in out and stops sending.
func (r *CascadeRoom) Close() {
	r.mu.Lock()
	r.closed = true
	legs := make([]*cascadeLeg, 0, len(r.remote))
	for _, l := range r.remote {
		legs = append(legs, l)
	}
	r.links = map[string]cascadeLink{}
	r.mu.Unlock()
	for _, l := range legs {
		r.leave(l)
	}
	r.Reconcile(context.Background())
}
