package sfu

import (
	"context"
	"slices"

	"xphone/audiolevel"
)

// Reconcile subscribes a sink for every track that must cross to each
// linked node, and drops the others. Star topology without loops: a
// node sends its own members' tracks; the host also relays the other
// nodes' members, but never a member back to its own node.
func (r *CascadeRoom) Reconcile(ctx context.Context) {
	legs := r.members(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.forgetGoneLocked(legs)
	want := map[sinkKey]uint32{}
	for node := range r.links {
		for _, leg := range legs {
			stand, isStand := leg.(*cascadeLeg)
			if isStand && (!r.host || stand.m.Node == node) {
				continue
			}
			for _, up := range cascadeUps(leg) {
				want[sinkKey{node, up}] = ssrcOf(leg, up)
			}
		}
	}
	for k, s := range r.sinks {
		if _, ok := want[k]; !ok {
			k.up.Unsubscribe(s.sink)
			delete(r.sinks, k)
		}
	}
	for k, ssrc := range want {
		if r.sinks[k] != nil {
			continue
		}
		link := r.links[k.node]
		sink, err := newCascadeSink(r.cas, link.to, link.key, ssrc, k.up.Kind())
		if err != nil {
			r.log.Warn("cascade: no sink", "node", k.node, "err", err)
			continue
		}
		r.sinks[k] = &sinkSub{sink: sink, up: k.up}
		k.up.Subscribe(sink)
		if k.up.Kind() == Video {
			k.up.RequestKeyframe() // the far viewers start with a keyframe
		}
	}
}

// ssrcOf is the cascade SSRC of up: a stand-in's keeps the one its own
// node gave it, so a relayed stream is the same stream everywhere.
func ssrcOf(leg Leg, up *UpTrack) uint32 {
	if l, ok := leg.(*cascadeLeg); ok {
		if i := slices.Index(l.ups, up); i >= 0 {
			return l.m.Tracks[i].SSRC
		}
	}
	return CascadeSSRC(leg.ID(), up.ID())
}

// forgetGoneLocked drops the send state of members who left: theirs is
// kept while they are in the room, however links come and go
// (cascade_stream.go).
func (r *CascadeRoom) forgetGoneLocked(legs []Leg) {
	now := map[uint32]bool{}
	for _, leg := range legs {
		for _, up := range cascadeUps(leg) {
			now[ssrcOf(leg, up)] = true
		}
	}
	for ssrc := range r.ssrcs {
		if !now[ssrc] {
			r.cas.forget(ssrc)
		}
	}
	r.ssrcs = now
}

// dropSinksLocked unsubscribes every sink towards node.
func (r *CascadeRoom) dropSinksLocked(node string) {
	for k, s := range r.sinks {
		if k.node == node {
			k.up.Unsubscribe(s.sink)
			delete(r.sinks, k)
		}
	}
}

// Rank lets only the topK loudest talkers' audio cross to each node (a
// talker stays on for rankHold steps after dropping out, so pauses do
// not cut words). The web layer calls it every 40 ms or so.
func (r *CascadeRoom) Rank() {
	r.mu.Lock()
	defer r.mu.Unlock()
	byNode := map[string][]*sinkSub{}
	for k, s := range r.sinks {
		if k.up.Kind() == Audio {
			byNode[k.node] = append(byNode[k.node], s)
		}
	}
	for _, subs := range byNode {
		r.rankLocked(subs)
	}
}

func (r *CascadeRoom) rankLocked(subs []*sinkSub) {
	// Loudest first; on a tie the tracks already crossing stay ahead, so
	// equal talkers do not take turns.
	slices.SortFunc(subs, func(a, b *sinkSub) int {
		if d := int(a.up.Level()) - int(b.up.Level()); d != 0 {
			return d
		}
		return boolRank(b.sink.on.Load()) - boolRank(a.sink.on.Load())
	})
	on := make([]bool, len(subs))
	n := 0
	for i, s := range subs { // the top K talkers
		if n < r.topK && s.up.Level() < audiolevel.Silence {
			s.hold, on[i] = rankHold, true
			n++
		} else {
			s.hold = max(s.hold-1, 0)
		}
	}
	for i, s := range subs { // then who paused, while places are left
		if !on[i] && s.hold > 0 && n < r.topK {
			on[i] = true
			n++
		}
	}
	for i, s := range subs {
		s.sink.on.Store(on[i])
	}
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// SentBytes is what this room has sent to node (SRTP bytes, without UDP
// and IP headers) over the links it still has.
func (r *CascadeRoom) SentBytes(node string) uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var n uint64
	for k, s := range r.sinks {
		if k.node == node {
			n += s.sink.bytes.Load()
		}
	}
	return n
}
