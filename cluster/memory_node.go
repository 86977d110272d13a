package cluster

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"
)

// memNode is one node of a Hub.
type memNode struct {
	hub      *Hub
	q        *queue
	watch    *hooks[NodeEvent]
	subs     *hooks[event]
	mu       sync.Mutex
	info     NodeInfo
	handlers map[string]Handler
	closed   bool
	life     context.Context // ends with Close: running handlers' contexts end
	end      context.CancelFunc
	wg       sync.WaitGroup
	stats    counters
}

func (n *memNode) Self() string  { return n.info.ID }
func (n *memNode) Healthy() bool { return true }
func (n *memNode) Stats() Stats  { return n.stats.snapshot() }

func (n *memNode) SetLoad(l Load) {
	n.mu.Lock()
	n.info.Load = l
	n.mu.Unlock()
}

func (n *memNode) SetDraining(d bool) {
	n.mu.Lock()
	n.info.Draining = d
	n.mu.Unlock()
}

func (n *memNode) snapshot() NodeInfo {
	n.mu.Lock()
	defer n.mu.Unlock()
	info := n.info
	info.Beat = n.hub.now()
	return info
}

func (n *memNode) Nodes(context.Context) ([]NodeInfo, error) {
	if n.isClosed() {
		return nil, ErrClosed
	}
	n.hub.mu.Lock()
	nodes := n.hub.liveLocked()
	n.hub.mu.Unlock()
	out := make([]NodeInfo, 0, len(nodes))
	for _, o := range nodes {
		out = append(out, o.snapshot())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (n *memNode) WatchNodes(fn func(NodeEvent)) (stop func()) { return n.watch.add("", fn) }

func (n *memNode) isClosed() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.closed
}

// Close leaves the hub, ends running handlers' contexts and waits for
// them and the callback queue.
func (n *memNode) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	n.end()
	n.mu.Unlock()
	n.hub.leave(n)
	n.wg.Wait()
	n.q.close()
	return nil
}

// abandon is a crash, for tests: the node vanishes like one whose
// heartbeat expired, its leases stay until their TTL.
func (n *memNode) abandon() { _ = n.Close() }

func (n *memNode) AddExtension(_ context.Context, ext string) error {
	h := n.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.nodes[n.info.ID] != n {
		return ErrClosed
	}
	if h.exts[ext] == nil {
		h.exts[ext] = map[string]bool{}
	}
	h.exts[ext][n.info.ID] = true
	return nil
}

func (n *memNode) RemoveExtension(_ context.Context, ext string) error {
	h := n.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.exts[ext], n.info.ID)
	if len(h.exts[ext]) == 0 {
		delete(h.exts, ext)
	}
	return nil
}

func (n *memNode) ExtensionNodes(_ context.Context, ext string) ([]string, error) {
	h := n.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	return sortedKeys(h.exts[ext]), nil
}

func (n *memNode) ClaimRoom(_ context.Context, room string) (string, error) {
	h := n.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.nodes[n.info.ID] != n {
		return "", ErrClosed
	}
	if host, ok := h.rooms[room]; ok {
		return host, nil
	}
	h.rooms[room] = n.info.ID
	return n.info.ID, nil
}

func (n *memNode) ReleaseRoom(_ context.Context, room string) error {
	h := n.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.rooms[room] == n.info.ID {
		delete(h.rooms, room)
	}
	return nil
}

func (n *memNode) RoomHost(_ context.Context, room string) (string, error) {
	h := n.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.rooms[room], nil
}

func (n *memNode) Acquire(_ context.Context, name string, ttl time.Duration) (*Lease, error) {
	h := n.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.now()
	if l, ok := h.leases[name]; ok && now.Before(l.expires) {
		return nil, &HeldError{Lease: name, Holder: l.holder}
	}
	h.tokens[name]++
	tok := h.tokens[name]
	h.leases[name] = memLease{holder: n.info.ID, token: tok, expires: now.Add(ttl)}
	return &Lease{Name: name, Holder: n.info.ID, Token: tok, TTL: ttl, store: n}, nil
}

func (n *memNode) renewLease(_ context.Context, l *Lease) error {
	h := n.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	cur, ok := h.leases[l.Name]
	now := h.now()
	mine := ok && cur.holder == l.Holder && cur.token == l.Token
	// An expired lease nobody took since is renewed as Redis would heal it.
	if !mine && ((ok && now.Before(cur.expires)) || h.tokens[l.Name] != l.Token) {
		return fmt.Errorf("%w: %s", ErrLeaseLost, l.Name)
	}
	h.leases[l.Name] = memLease{holder: l.Holder, token: l.Token, expires: now.Add(l.TTL)}
	return nil
}

func (n *memNode) releaseLease(_ context.Context, l *Lease) error {
	h := n.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if cur, ok := h.leases[l.Name]; ok && cur.holder == l.Holder && cur.token == l.Token {
		delete(h.leases, l.Name)
	}
	return nil
}

func (n *memNode) Put(_ context.Context, key string, value []byte, ttl time.Duration) error {
	h := n.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	rec := memRecord{value: append([]byte(nil), value...)}
	if ttl > 0 {
		rec.expires = h.now().Add(ttl)
	}
	h.recs[key] = rec
	return nil
}

func (n *memNode) Get(_ context.Context, key string) ([]byte, error) {
	h := n.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	rec, ok := h.recs[key]
	if !ok || (!rec.expires.IsZero() && !h.now().Before(rec.expires)) {
		return nil, nil
	}
	return append([]byte(nil), rec.value...), nil
}
