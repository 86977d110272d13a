package cluster

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"
)

// Hub is an in-process cluster: the nodes made by its Node method see
// each other as Redis-backed nodes would, without any external service.
// A single-node server uses NewMemory; tests use a Hub for several.
type Hub struct {
	mu     sync.Mutex
	now    func() time.Time
	nodes  map[string]*memNode
	exts   map[string]map[string]bool // extension → nodes
	rooms  map[string]string          // room → host
	leases map[string]memLease
	tokens map[string]uint64 // lease name → last fencing token
	recs   map[string]memRecord
}

type memRecord struct {
	value   []byte
	expires time.Time // zero: never
}

type memLease struct {
	holder  string
	token   uint64
	expires time.Time
}

// NewHub makes an empty in-process cluster; now is its clock for leases
// (nil: time.Now).
func NewHub(now func() time.Time) *Hub {
	if now == nil {
		now = time.Now
	}
	return &Hub{now: now, nodes: map[string]*memNode{}, exts: map[string]map[string]bool{},
		rooms: map[string]string{}, leases: map[string]memLease{}, tokens: map[string]uint64{}, recs: map[string]memRecord{}}
}

// NewMemory is the single-node cluster: one node, id, in its own Hub.
func NewMemory(id string, addrs []string) Cluster {
	n, _ := NewHub(nil).Node(id, addrs) // a fresh hub has no node of that id
	return n
}

// Node joins a node with this id to the hub; ErrConfig when the id is
// empty or taken.
func (h *Hub) Node(id string, addrs []string) (Cluster, error) {
	if id == "" {
		return nil, fmt.Errorf("%w: empty node id", ErrConfig)
	}
	q := newQueue()
	n := &memNode{hub: h, q: q, watch: newHooks[NodeEvent](q), subs: newHooks[event](q),
		handlers: map[string]Handler{}}
	n.life, n.end = context.WithCancel(context.Background())
	n.info = NodeInfo{ID: id, Addrs: addrs, Started: h.now(), Beat: h.now()}
	h.mu.Lock()
	if _, taken := h.nodes[id]; taken {
		h.mu.Unlock()
		n.end()
		q.close()
		return nil, fmt.Errorf("%w: node id %q taken", ErrConfig, id)
	}
	others := h.liveLocked()
	h.nodes[id] = n
	h.mu.Unlock()
	for _, o := range others {
		o.watch.emit("", NodeEvent{Node: n.info, Alive: true})
	}
	return n, nil
}

// liveLocked lists the hub's nodes; h.mu held.
func (h *Hub) liveLocked() []*memNode {
	out := make([]*memNode, 0, len(h.nodes))
	for _, n := range h.nodes {
		out = append(out, n)
	}
	return out
}

// node is the live node id, nil when there is none.
func (h *Hub) node(id string) *memNode {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.nodes[id]
}

// leave removes n and its directory entries, and tells the others.
func (h *Hub) leave(n *memNode) {
	h.mu.Lock()
	if h.nodes[n.info.ID] != n {
		h.mu.Unlock()
		return
	}
	delete(h.nodes, n.info.ID)
	for ext, holders := range h.exts {
		delete(holders, n.info.ID)
		if len(holders) == 0 {
			delete(h.exts, ext)
		}
	}
	for room, host := range h.rooms {
		if host == n.info.ID {
			delete(h.rooms, room)
		}
	}
	others := h.liveLocked()
	info := n.snapshot()
	h.mu.Unlock()
	for _, o := range others {
		o.watch.emit("", NodeEvent{Node: info, Alive: false})
	}
}

// sortedKeys lists a set's members in order.
func sortedKeys(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
