package web

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"xphone/cluster"
	"xphone/sfu"
)

// Presence across the nodes of a cluster: each node broadcasts the
// presence of the extensions whose tabs it holds and records them in the
// cluster directory; the board shows, for each extension, the busiest
// state any live node reports. A dead node's reports go with it at once
// (its heartbeat gone); a node that appears gets everyone's snapshot, and
// snapshots are sent again every presenceResend to make up for broadcasts
// lost while Redis was unreachable.

const (
	presenceTopic  = "presence"
	presenceResend = 10 * time.Second
)

// presenceNote is one broadcast: some extensions' states, or (Full) all
// the non-offline ones of the sender.
type presenceNote struct {
	Full   bool                         `json:"full,omitempty"`
	States map[string]sfu.PresenceState `json:"states"`
}

// clusterPresence is a desk's share of the cluster's presence.
type clusterPresence struct {
	c      cluster.Cluster
	mu     sync.Mutex
	remote map[string]map[string]sfu.PresenceState // node → extension → state (never offline)
	sent   map[string]sfu.PresenceState            // extension → this node's state (never offline)
	resend bool                                    // a node appeared: send a snapshot
	stops  []func()
}

func newClusterPresence(c cluster.Cluster) *clusterPresence {
	return &clusterPresence{c: c, remote: map[string]map[string]sfu.PresenceState{}, sent: map[string]sfu.PresenceState{}}
}

// start listens to the other nodes; changed reports an extension whose
// merged state may have changed, wake asks the desk's loop to run.
func (p *clusterPresence) start(changed func(ext string), wake func()) {
	p.stops = append(p.stops,
		p.c.Subscribe(presenceTopic, func(from string, payload []byte) { p.heard(from, payload, changed) }),
		p.c.WatchNodes(func(e cluster.NodeEvent) { p.nodeEvent(e, changed, wake) }))
}

func (p *clusterPresence) stop() {
	for _, s := range p.stops {
		s()
	}
}

// heard records another node's note.
func (p *clusterPresence) heard(from string, payload []byte, changed func(string)) {
	var n presenceNote
	if from == p.c.Self() || json.Unmarshal(payload, &n) != nil {
		return
	}
	p.mu.Lock()
	touched := map[string]bool{}
	states := p.remote[from]
	if states == nil || n.Full {
		for ext := range states {
			touched[ext] = true
		}
		states = map[string]sfu.PresenceState{}
		p.remote[from] = states
	}
	for ext, st := range n.States {
		touched[ext] = true
		if st == sfu.PresenceOffline {
			delete(states, ext)
		} else {
			states[ext] = st
		}
	}
	p.mu.Unlock()
	for ext := range touched {
		changed(ext)
	}
}

// nodeEvent drops a dead node's reports, and plans a snapshot for a new one.
func (p *clusterPresence) nodeEvent(e cluster.NodeEvent, changed func(string), wake func()) {
	if e.Node.ID == p.c.Self() {
		return
	}
	p.mu.Lock()
	if e.Alive {
		p.resend = true
		p.mu.Unlock()
		wake()
		return
	}
	gone := p.remote[e.Node.ID]
	delete(p.remote, e.Node.ID)
	p.mu.Unlock()
	for ext := range gone {
		changed(ext)
	}
}

// local notes this node's own state of ext, tells the cluster when it
// changed, and returns the state the board shows: the busiest of all.
func (p *clusterPresence) local(ext string, st sfu.PresenceState) sfu.PresenceState {
	p.mu.Lock()
	prev, had := p.sent[ext]
	if st == sfu.PresenceOffline {
		delete(p.sent, ext)
	} else {
		p.sent[ext] = st
	}
	merged := st
	for _, states := range p.remote {
		if r, ok := states[ext]; ok && presenceRank(r) > presenceRank(merged) {
			merged = r
		}
	}
	p.mu.Unlock()
	if (had || st != sfu.PresenceOffline) && prev != st {
		p.publish(ext, st)
	}
	return merged
}

// publish broadcasts ext's new state and keeps the directory entry.
func (p *clusterPresence) publish(ext string, st sfu.PresenceState) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if st == sfu.PresenceOffline {
		_ = p.c.RemoveExtension(ctx, ext)
	} else {
		_ = p.c.AddExtension(ctx, ext) // kept locally and healed by the heartbeat on failure
	}
	body, _ := json.Marshal(presenceNote{States: map[string]sfu.PresenceState{ext: st}})
	_ = p.c.Broadcast(ctx, presenceTopic, body) // lost while Redis is down: the snapshots make up
}

// snapshot broadcasts every non-offline state of this node when a node
// appeared or when due.
func (p *clusterPresence) snapshot(due bool) {
	p.mu.Lock()
	if !due && !p.resend {
		p.mu.Unlock()
		return
	}
	p.resend = false
	body, _ := json.Marshal(presenceNote{Full: true, States: p.sent})
	p.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = p.c.Broadcast(ctx, presenceTopic, body)
}

// presenceRank orders states by what a caller must know first.
func presenceRank(s sfu.PresenceState) int {
	switch s {
	case sfu.PresenceOnCall:
		return 4
	case sfu.PresenceRinging:
		return 3
	case sfu.PresenceDND:
		return 2
	case sfu.PresenceAvailable:
		return 1
	}
	return 0
}
