package sfu

import (
	"context"
	"log/slog"
	"maps"
	"net/netip"
	"slices"
	"sync"
)

// CascadeRoom is this node's part of one room's cascade: the stand-ins
// of the other nodes' members in the local conference, and the tracks it
// sends to the other nodes. The web layer drives it from the bus.
type CascadeRoom struct {
	cs       *Conferences
	cas      *Cascade
	number   string
	self     string
	topK     int
	keyframe func(node string, ssrc uint32)
	log      *slog.Logger
	// moderate carries a moderator's action to another node; changed is
	// told when the room's roster or lock changes here (SetMeeting).
	moderate func(CascadeMod)
	changed  func()
	sendChat func(ChatMessage) // hands this node's chat to the others
	chatSent uint64            // the last message id handed on
	closed   bool              // Close ran: no stand-in joins any more

	mu     sync.Mutex
	host   bool
	remote map[string]*cascadeLeg // by member id
	confs  map[string]*Conference // the conference each stand-in joined
	links  map[string]cascadeLink // by node
	sinks  map[sinkKey]*sinkSub
	ssrcs  map[uint32]bool // of the members when last reconciled
}

type cascadeLink struct {
	to  netip.AddrPort
	key CascadeKey
}

type sinkKey struct {
	node string
	up   *UpTrack
}

type sinkSub struct {
	sink *cascadeSink
	up   *UpTrack
	hold int // rank steps an audio track stays on after it was last chosen
}

// rankHold is how many Rank steps a talker keeps crossing after it left
// the top K, so a pause between words does not cut it off.
const rankHold = 25

// NewCascadeRoom prepares room number's cascade on node self; topK talkers
// cross per link; keyframe asks node for a keyframe of track ssrc.
func NewCascadeRoom(cs *Conferences, cas *Cascade, number, self string, topK int, keyframe func(node string, ssrc uint32), log *slog.Logger) *CascadeRoom {
	return &CascadeRoom{cs: cs, cas: cas, number: number, self: self, topK: max(topK, 1), keyframe: keyframe,
		log: log.With("room", number), remote: map[string]*cascadeLeg{}, confs: map[string]*Conference{},
		links: map[string]cascadeLink{}, sinks: map[sinkKey]*sinkSub{}}
}

// live is the room's conference on this node, nil when nobody is in it.
func (r *CascadeRoom) live() *Conference {
	r.cs.mu.Lock()
	defer r.cs.mu.Unlock()
	if lr := r.cs.live[r.number]; lr != nil {
		return lr.conf
	}
	return nil
}

// members are the legs in the room (local and stand-ins).
func (r *CascadeRoom) members(ctx context.Context) []Leg {
	conf := r.live()
	if conf == nil {
		return nil
	}
	var legs []Leg
	_ = conf.do(ctx, func() {
		for _, m := range conf.members {
			legs = append(legs, m.leg)
		}
	})
	return legs
}

// LocalMembers are this node's own members of the room, as the other
// nodes are told of them: who, their tracks and their meeting state.
func (r *CascadeRoom) LocalMembers(ctx context.Context) []CascadeMember {
	conf := r.live()
	if conf == nil {
		return nil
	}
	var out []CascadeMember
	_ = conf.do(ctx, func() {
		for _, m := range conf.members {
			if isStandIn(m.leg) {
				continue
			}
			cm := describeMember(m.leg, r.self)
			cm.MicOff, cm.ModMuted, cm.Hand, cm.Moderator = m.meet.micOff, m.meet.modMuted, m.meet.hand, m.meet.moderator
			cm.Joined = m.joined.UnixMilli()
			out = append(out, cm)
		}
	})
	return out
}

// describeMember names a leg and the tracks the cascade carries of it.
func describeMember(leg Leg, node string) CascadeMember {
	id := leg.Identity()
	m := CascadeMember{ID: leg.ID(), Number: id.Number, Name: id.Name, Node: node}
	for _, up := range cascadeUps(leg) {
		m.Tracks = append(m.Tracks, CascadeTrack{SSRC: CascadeSSRC(leg.ID(), up.ID()), Kind: up.Kind(), Mime: up.MimeType()})
	}
	return m
}

// cascadeUps are the tracks of a leg that cross nodes: its audio and its
// best video layer (the one a remote viewer of the speaker would get).
func cascadeUps(leg Leg) []*UpTrack {
	var out []*UpTrack
	for _, u := range leg.Ups() {
		if u.Kind() == Audio {
			out = append(out, u)
			break
		}
	}
	if v := videoLayers(leg); len(v) > 0 {
		out = append(out, v[len(v)-1])
	}
	return out
}

// SetHost says whether this node relays between the others.
func (r *CascadeRoom) SetHost(host bool) {
	r.mu.Lock()
	r.host = host
	r.mu.Unlock()
}

// Link sends to node at to with key (what this node encrypts with).
func (r *CascadeRoom) Link(node string, to netip.AddrPort, key CascadeKey) {
	r.mu.Lock()
	r.dropSinksLocked(node) // a new link (a re-elected host) gets new sinks
	r.links[node] = cascadeLink{to: to, key: key}
	r.mu.Unlock()
}

// Unlink stops sending to node.
func (r *CascadeRoom) Unlink(node string) {
	r.mu.Lock()
	r.dropSinksLocked(node)
	delete(r.links, node)
	r.mu.Unlock()
}

// Linked lists the nodes this node sends to.
func (r *CascadeRoom) Linked() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Sorted(maps.Keys(r.links))
}
