package cluster

import (
	"context"
	"encoding/json"
	"maps"
	"sort"
	"time"

	"github.com/redis/go-redis/v9"
)

// heartbeat refreshes this node's keys every TTL/3 until Close.
func (r *Redis) heartbeat() {
	defer r.wg.Done()
	t := time.NewTicker(r.o.TTL / 3)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
			r.beat()
		}
	}
}

// beat writes this node's heartbeat and directory entries (which heals a
// Redis that restarted empty), then looks for nodes that came or went.
func (r *Redis) beat() {
	ctx, cancel := context.WithTimeout(r.life, r.o.TTL/3)
	defer cancel()
	err := r.refresh(ctx)
	if was := r.healthy.Swap(err == nil); was != (err == nil) {
		if err != nil {
			r.log.Warn("cluster: Redis unreachable, working alone until it is back", "err", err)
		} else {
			r.log.Info("cluster: Redis reachable, directory entries refreshed", "node", r.o.NodeID)
		}
	}
	if err == nil {
		r.pollNodes(ctx)
	}
}

// refresh writes the heartbeat and re-asserts every entry of this node.
func (r *Redis) refresh(ctx context.Context) error {
	r.mu.Lock()
	r.info.Beat = r.o.Now()
	info, _ := json.Marshal(r.info)
	exts, rooms := sortedKeys(r.exts), sortedKeys(r.rooms)
	r.mu.Unlock()
	ttl := r.o.TTL
	until := float64(r.o.Now().Add(ttl).UnixMilli())
	pipe := r.rdb.Pipeline()
	pipe.Set(ctx, r.k.node(r.o.NodeID), info, ttl)
	pipe.SAdd(ctx, r.k.nodes(), r.o.NodeID)
	for _, ext := range exts {
		pipe.ZAdd(ctx, r.k.ext(ext), redis.Z{Score: until, Member: r.o.NodeID})
		pipe.PExpire(ctx, r.k.ext(ext), ttl)
	}
	claims := make([]*redis.Cmd, len(rooms))
	for i, room := range rooms {
		claims[i] = claimRoom.Eval(ctx, pipe, []string{r.k.room(room)}, r.o.NodeID, ttl.Milliseconds(), r.k.node(""))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return err
	}
	r.dropLostRooms(rooms, claims)
	return nil
}

// dropLostRooms forgets rooms another node claimed meanwhile (only after
// a Redis outage, when two nodes may each have claimed a room).
func (r *Redis) dropLostRooms(rooms []string, claims []*redis.Cmd) {
	for i, c := range claims {
		if host, err := c.Text(); err == nil && host != r.o.NodeID {
			r.log.Warn("cluster: room claimed by another node", "room", rooms[i], "host", host)
			r.mu.Lock()
			delete(r.rooms, rooms[i])
			r.mu.Unlock()
		}
	}
}

// listNodes reads every live node; members of the node set whose key
// expired are removed from it.
func (r *Redis) listNodes(ctx context.Context) ([]NodeInfo, error) {
	ids, err := r.rdb.SMembers(ctx, r.k.nodes()).Result()
	if err != nil || len(ids) == 0 {
		return nil, unavailable(err)
	}
	sort.Strings(ids)
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = r.k.node(id)
	}
	vals, err := r.rdb.MGet(ctx, names...).Result()
	if err != nil {
		return nil, unavailable(err)
	}
	var out []NodeInfo
	var dead []any
	for i, v := range vals {
		var n NodeInfo
		if s, ok := v.(string); ok && json.Unmarshal([]byte(s), &n) == nil {
			out = append(out, n)
		} else {
			dead = append(dead, ids[i])
		}
	}
	if len(dead) > 0 {
		r.rdb.SRem(ctx, r.k.nodes(), dead...) // best effort: the next poll retries
	}
	return out, nil
}

func (r *Redis) Nodes(ctx context.Context) ([]NodeInfo, error) {
	if err := r.ready(); err != nil {
		return nil, err
	}
	return r.listNodes(ctx)
}

func (r *Redis) WatchNodes(fn func(NodeEvent)) (stop func()) { return r.watch.add("", fn) }

// pollNodes compares the live nodes with those known and tells watchers.
func (r *Redis) pollNodes(ctx context.Context) {
	nodes, err := r.listNodes(ctx)
	if err != nil {
		return
	}
	now := map[string]NodeInfo{}
	for _, n := range nodes {
		now[n.ID] = n
	}
	r.mu.Lock()
	old := r.known
	r.known = maps.Clone(now) // nodeLeft changes r.known meanwhile
	r.mu.Unlock()
	for id, n := range now {
		if _, ok := old[id]; !ok {
			r.watch.emit("", NodeEvent{Node: n, Alive: true})
		}
	}
	for id, n := range old {
		if _, ok := now[id]; !ok {
			r.watch.emit("", NodeEvent{Node: n, Alive: false})
		}
	}
}

// nodeLeft handles another node's explicit leave at once.
func (r *Redis) nodeLeft(id string) {
	r.mu.Lock()
	n, ok := r.known[id]
	delete(r.known, id)
	r.mu.Unlock()
	if ok {
		r.watch.emit("", NodeEvent{Node: n, Alive: false})
	}
}
