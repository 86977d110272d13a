package web

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"xphone/cluster"
	"xphone/sfu"
)

// Rooms across nodes (issue #18, docs/cluster.md "Rooms across nodes"):
// every node with members of room R runs its own conference R; the node
// ClaimRoom names hosts R's cascade. Edges link to the host over the bus
// (addresses and SRTP keys) and tell it their members; the host tells
// every edge everyone else's members and the speaker frame, and relays
// media between edges (sfu.CascadeRoom). Bus handlers never call the bus:
// outgoing requests go through one worker goroutine, so two nodes never
// wait on each other.

// Bus methods of rooms across nodes; every body is JSON.
const (
	mRoomLink     = "xroom.link"     // edge → host: link me (xLink → xRoster)
	mRoomUpdate   = "xroom.update"   // edge → host: my members changed (xLink → xRoster)
	mRoomLeave    = "xroom.leave"    // edge → host: I have no member left (xLink)
	mRoomRoster   = "xroom.roster"   // host → edge: everyone else's members (xRoster)
	mRoomSpeakers = "xroom.speakers" // host → edge: the speaker frame (xRoster)
	mRoomRehost   = "xroom.rehost"   // host → edge: I stop hosting; claim again (xLink)
	mRoomPLI      = "xroom.pli"      // any → the node a video comes from: keyframe (xPLI)
	mRoomModerate = "xroom.moderate" // any → a member's node, or a lock to the host (sfu.CascadeMod)
	mRoomChat     = "xroom.chat"     // edge → host → the other edges: a chat message (xChat)
)

// xLink is an edge's state as the host learns it.
type xLink struct {
	Room    string              `json:"room"`
	Addr    string              `json:"addr,omitempty"` // the sender's cascade socket
	Key     *sfu.CascadeKey     `json:"key,omitempty"`  // what the sender encrypts with
	Members []sfu.CascadeMember `json:"members,omitempty"`
}

// xRoster is what the host tells an edge.
type xRoster struct {
	Room     string              `json:"room"`
	Addr     string              `json:"addr,omitempty"`
	Key      *sfu.CascadeKey     `json:"key,omitempty"`
	Members  []sfu.CascadeMember `json:"members"`
	Dominant string              `json:"dominant"`
	Speaking []string            `json:"speaking"`
	Locked   bool                `json:"locked,omitempty"` // the host's lock, every node's
}

type xPLI struct {
	Room string `json:"room"`
	SSRC uint32 `json:"ssrc"`
}

// cascadeTick is how often talkers are ranked for crossing nodes, and
// cascadeResync how often each room's state is re-sent (healing what a
// lost bus message or a node's death left behind).
const (
	cascadeTick   = 40 * time.Millisecond
	cascadeResync = 2 * time.Second
)

// RoomCascade carries this node's rooms across nodes.
type RoomCascade struct {
	cl    cluster.Cluster
	rooms *sfu.Conferences
	cas   *sfu.Cascade
	topK  int
	log   *slog.Logger

	key sfu.CascadeKey // what this node encrypts with, for every room

	mu    sync.Mutex
	parts map[string]*xroom         // rooms with members on this node
	addrs map[string]netip.AddrPort // other nodes' cascade sockets we accept
	dirty map[string]bool           // rooms to sync
	jobs  []func(ctx context.Context)
	wake  chan struct{}
	stop  chan struct{}
	done  chan struct{}
	stops []func()
	// onHosting hears this node start or stop hosting a room (bridges).
	onHosting func(room string)
	// keyframes counts keyframe requests that reached this node from
	// viewers on other nodes.
	keyframes atomic.Uint64
}

// xroom is one room's cascade on this node. Its fields are guarded by
// RoomCascade.mu; op serialises its media changes.
type xroom struct {
	number string
	r      *sfu.CascadeRoom
	host   string // "" until claimed
	linked bool   // edge: the host knows us
	heard  bool   // edge: a roster came since this node joined the cascade
	edges  map[string]*xedge
	op     sync.Mutex // serialises stand-in changes
}

// xedge is an edge as the host knows it.
type xedge struct {
	members []sfu.CascadeMember
}

// NewRoomCascade starts carrying rooms across nodes: topK talkers cross
// per link. Close stops it.
func NewRoomCascade(cl cluster.Cluster, rooms *sfu.Conferences, cas *sfu.Cascade, topK int, log *slog.Logger) (*RoomCascade, error) {
	key, err := sfu.NewCascadeKey()
	if err != nil {
		return nil, err
	}
	c := &RoomCascade{cl: cl, rooms: rooms, cas: cas, topK: topK, log: log.With("part", "cascade"), key: key,
		parts: map[string]*xroom{}, addrs: map[string]netip.AddrPort{}, dirty: map[string]bool{},
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	c.handle()
	c.stops = append(c.stops, cl.WatchNodes(c.nodeEvent))
	rooms.AddWatcher(c.changed)
	go c.run()
	return c, nil
}

// Close stops the worker and takes every stand-in out of the rooms.
func (c *RoomCascade) Close() {
	for _, s := range c.stops {
		s()
	}
	close(c.stop)
	<-c.done
	c.mu.Lock()
	parts := c.parts
	c.parts = map[string]*xroom{}
	c.mu.Unlock()
	for _, x := range parts {
		x.r.Close()
	}
}

// changed runs after every join and leave of a room on this node.
func (c *RoomCascade) changed(number string) {
	c.mu.Lock()
	c.dirty[number] = true
	c.mu.Unlock()
	c.poke()
}

// enqueue hands f to the worker; it never blocks.
func (c *RoomCascade) enqueue(f func(ctx context.Context)) {
	c.mu.Lock()
	c.jobs = append(c.jobs, f)
	c.mu.Unlock()
	c.poke()
}

func (c *RoomCascade) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// run is the worker: queued jobs, talker ranking, periodic resync.
func (c *RoomCascade) run() {
	defer close(c.done)
	rank := time.NewTicker(cascadeTick)
	defer rank.Stop()
	resync := time.NewTicker(cascadeResync)
	defer resync.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for {
		select {
		case <-c.stop:
			return
		case <-c.wake:
			c.runJobs(ctx)
		case <-rank.C:
			for _, x := range c.snapshot() {
				x.r.Rank()
			}
		case <-resync.C:
			for _, x := range c.snapshot() {
				c.sync(ctx, x.number)
			}
		}
	}
}

func (c *RoomCascade) runJobs(ctx context.Context) {
	for {
		c.mu.Lock()
		jobs, dirty := c.jobs, c.dirty
		c.jobs, c.dirty = nil, map[string]bool{}
		c.mu.Unlock()
		if len(jobs) == 0 && len(dirty) == 0 {
			return
		}
		for _, f := range jobs {
			f(ctx)
		}
		for number := range dirty {
			c.sync(ctx, number)
		}
	}
}

func (c *RoomCascade) snapshot() []*xroom {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]*xroom, 0, len(c.parts))
	for _, x := range c.parts {
		out = append(out, x)
	}
	return out
}

// call is one bus request with the call-signalling timeout.
func (c *RoomCascade) call(ctx context.Context, node, method string, body any, reply any) error {
	ctx, cancel := context.WithTimeout(ctx, busTimeout)
	defer cancel()
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	out, err := c.cl.Call(ctx, node, method, b)
	if err != nil || reply == nil {
		return err
	}
	return json.Unmarshal(out, reply)
}
