package cluster

import (
	"context"
	"sync/atomic"
	"time"
)

// Cluster is what a node sees of the cluster. Implementations are safe for
// concurrent use; NewMemory and NewRedis provide them.
type Cluster interface {
	// Self is this node's id.
	Self() string
	// SetLoad publishes this node's load with its next heartbeat.
	SetLoad(Load)
	// SetDraining marks this node as taking no new rooms or calls.
	SetDraining(bool)
	// Nodes lists the live nodes, this one included, sorted by id.
	Nodes(ctx context.Context) ([]NodeInfo, error)
	// WatchNodes calls fn, from one goroutine at a time, when a node
	// appears or dies (its heartbeat expired or it left), until stop.
	WatchNodes(fn func(NodeEvent)) (stop func())

	Directory
	Bus

	// Acquire takes the lease name for ttl when nobody holds it;
	// ErrLeaseHeld (with the holder in a *HeldError) otherwise.
	Acquire(ctx context.Context, name string, ttl time.Duration) (*Lease, error)

	// Put stores a small shared record under key for ttl (0: until
	// replaced), e.g. a trunk registration's Call-ID for the next holder.
	Put(ctx context.Context, key string, value []byte, ttl time.Duration) error
	// Get reads a record Put stored; nil when there is none.
	Get(ctx context.Context, key string) ([]byte, error)

	// Stats counts this node's bus traffic and failures.
	Stats() Stats

	// Healthy is false while the shared service (Redis) is unreachable;
	// always true in memory.
	Healthy() bool
	// Close leaves the cluster: the node and its directory entries are
	// removed at once, goroutines stopped.
	Close() error
}

// Directory maps extensions and rooms to nodes. Entries are this node's
// until it removes them or dies; implementations refresh them.
type Directory interface {
	// AddExtension records that this node holds tabs of ext.
	AddExtension(ctx context.Context, ext string) error
	// RemoveExtension records that this node holds no tab of ext anymore.
	RemoveExtension(ctx context.Context, ext string) error
	// ExtensionNodes lists the live nodes holding tabs of ext, sorted.
	ExtensionNodes(ctx context.Context, ext string) ([]string, error)
	// ClaimRoom makes this node the host of room unless a live node hosts
	// it already; it returns the host either way (exactly one per room).
	ClaimRoom(ctx context.Context, room string) (host string, err error)
	// ReleaseRoom gives up hosting room (only if this node hosts it).
	ReleaseRoom(ctx context.Context, room string) error
	// RoomHost is the live node hosting room, "" when none.
	RoomHost(ctx context.Context, room string) (string, error)
}

// Handler answers one bus request; from is the calling node. An error
// reaches the caller as a *RemoteError.
type Handler func(ctx context.Context, from string, body []byte) ([]byte, error)

// Bus carries node-addressed requests and cluster-wide events.
type Bus interface {
	// Handle registers h for method on this node (replacing any other).
	Handle(method string, h Handler)
	// Call sends body to method on node and waits for the reply until
	// ctx ends; ErrNoNode when node is not alive.
	Call(ctx context.Context, node, method string, body []byte) ([]byte, error)
	// Broadcast sends payload to every node's subscribers of topic, this
	// node's included.
	Broadcast(ctx context.Context, topic string, payload []byte) error
	// Subscribe calls fn, from one goroutine at a time, for each event of
	// topic, until stop.
	Subscribe(topic string, fn func(from string, payload []byte)) (stop func())
}

// Load is what a node reports about its work.
type Load struct {
	Calls        int     `json:"calls"`
	Participants int     `json:"participants"`
	CPU          float64 `json:"cpu"` // fraction of all cores, 0 to 1
}

// NodeInfo is one node as its heartbeat describes it.
type NodeInfo struct {
	ID       string    `json:"id"`
	Addrs    []string  `json:"addrs,omitempty"` // advertised addresses
	Load     Load      `json:"load"`
	Draining bool      `json:"draining,omitempty"`
	Started  time.Time `json:"started"`
	Beat     time.Time `json:"beat"` // last heartbeat
}

// NodeEvent says that Node appeared (Alive) or died.
type NodeEvent struct {
	Node  NodeInfo
	Alive bool
}

// Stats are a node's counters since it started.
type Stats struct {
	Calls       uint64 // bus requests sent (to this node too)
	CallErrors  uint64 // of those, failed: no node, no handler, remote error, deadline, unavailable
	Broadcasts  uint64 // events broadcast
	Unavailable uint64 // operations refused at once while Redis was unreachable
}

// counters is the atomic form of Stats both implementations keep.
type counters struct {
	calls, callErrors, broadcasts, unavailable atomic.Uint64
}

func (c *counters) snapshot() Stats {
	return Stats{Calls: c.calls.Load(), CallErrors: c.callErrors.Load(), Broadcasts: c.broadcasts.Load(), Unavailable: c.unavailable.Load()}
}

// call counts one remote call and its outcome, and passes err on.
func (c *counters) call(err error) error {
	c.calls.Add(1)
	if err != nil {
		c.callErrors.Add(1)
	}
	return err
}
