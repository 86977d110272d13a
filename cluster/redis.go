package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisOptions configure NewRedis.
type RedisOptions struct {
	NodeID string
	// Addrs: one host:port for a standalone Redis, several for a Redis
	// Cluster, or the Sentinels' when MasterName is set.
	Addrs      []string
	MasterName string
	Username   string
	Password   string
	DB         int
	// Advertise are this node's addresses as other nodes and load
	// balancers reach it (shown on the admin page and in /metrics).
	Advertise []string
	// TTL of the heartbeat, directory entries and room claims; a dead
	// node vanishes within TTL. Refreshed every TTL/3. Default 6s.
	TTL time.Duration
	// Prefix of every key and channel; default "{xphone}:" (one hash
	// slot, so scripts and multi-key commands work on a Redis Cluster).
	Prefix string
	Log    *slog.Logger
	Now    func() time.Time // default time.Now
}

// Redis is a Cluster backed by Redis: TTL keys for liveness and the
// directory, pub/sub for the bus, scripts for leases and room claims.
type Redis struct {
	rdb  redis.UniversalClient
	ps   *redis.PubSub
	o    RedisOptions
	log  *slog.Logger
	k    keys
	q    *queue
	life context.Context // ends with Close: handlers' contexts end
	end  context.CancelFunc
	stop chan struct{}
	wg   sync.WaitGroup

	healthy atomic.Bool
	stats   counters
	nextID  atomic.Uint64

	mu       sync.Mutex
	info     NodeInfo
	exts     map[string]bool // extensions whose tabs this node holds
	rooms    map[string]bool // rooms this node hosts
	known    map[string]NodeInfo
	handlers map[string]Handler
	pending  map[uint64]chan reply
	closed   bool

	watch *hooks[NodeEvent]
	subs  *hooks[event]
}

// NewRedis joins the cluster through Redis. It does not fail when Redis
// is down: the node starts unhealthy and registers itself when Redis
// comes up (ErrConfig only for options that cannot work).
func NewRedis(o RedisOptions) (*Redis, error) {
	if err := o.fill(); err != nil {
		return nil, err
	}
	r := &Redis{o: o, log: o.Log, k: keys{o.Prefix}, q: newQueue(), stop: make(chan struct{}),
		exts: map[string]bool{}, rooms: map[string]bool{}, known: map[string]NodeInfo{},
		handlers: map[string]Handler{}, pending: map[uint64]chan reply{}}
	routeRedisLog(o.Log)
	r.watch, r.subs = newHooks[NodeEvent](r.q), newHooks[event](r.q)
	r.life, r.end = context.WithCancel(context.Background())
	now := o.Now()
	r.info = NodeInfo{ID: o.NodeID, Addrs: o.Advertise, Started: now, Beat: now}
	r.rdb = redis.NewUniversalClient(&redis.UniversalOptions{
		Addrs: o.Addrs, MasterName: o.MasterName, Username: o.Username, Password: o.Password, DB: o.DB,
		// Fail fast: a call blocked on a dead Redis must not stall calls.
		DialTimeout: time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second,
		PoolTimeout: time.Second, MaxRetries: -1, DialerRetries: 1, // go-redis dials 5 times by default (≈ 0.8 s)
	})
	r.ps = r.rdb.Subscribe(r.life, r.k.rpc(o.NodeID), r.k.events())
	r.beat()
	r.wg.Add(2)
	go r.heartbeat()
	go r.receive()
	return r, nil
}

// fill checks o and sets its defaults.
func (o *RedisOptions) fill() error {
	switch {
	case o.NodeID == "":
		return fmt.Errorf("%w: empty node id", ErrConfig)
	case len(o.Addrs) == 0:
		return fmt.Errorf("%w: no Redis address", ErrConfig)
	case o.TTL < 0:
		return fmt.Errorf("%w: negative ttl", ErrConfig)
	}
	if o.TTL == 0 {
		o.TTL = 6 * time.Second
	}
	if o.Prefix == "" {
		o.Prefix = "{xphone}:"
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return nil
}

// keys names Redis keys and channels.
type keys struct{ p string }

func (k keys) node(id string) string       { return k.p + "node:" + id }
func (k keys) nodes() string               { return k.p + "nodes" }
func (k keys) ext(ext string) string       { return k.p + "ext:" + ext }
func (k keys) room(room string) string     { return k.p + "room:" + room }
func (k keys) lease(name string) string    { return k.p + "lease:" + name }
func (k keys) leaseTok(name string) string { return k.p + "lease-token:" + name }
func (k keys) record(key string) string    { return k.p + "record:" + key }
func (k keys) rpc(id string) string        { return k.p + "rpc:" + id }
func (k keys) events() string              { return k.p + "events" }

func (r *Redis) Self() string  { return r.o.NodeID }
func (r *Redis) Healthy() bool { return r.healthy.Load() }
func (r *Redis) Stats() Stats  { return r.stats.snapshot() }

func (r *Redis) SetLoad(l Load) {
	r.mu.Lock()
	r.info.Load = l
	r.mu.Unlock()
}

func (r *Redis) SetDraining(d bool) {
	r.mu.Lock()
	r.info.Draining = d
	r.mu.Unlock()
}

// ready is nil when an operation may go to Redis now: fail fast while
// the heartbeat finds Redis unreachable.
func (r *Redis) ready() error {
	r.mu.Lock()
	closed := r.closed
	r.mu.Unlock()
	switch {
	case closed:
		return ErrClosed
	case !r.healthy.Load():
		r.stats.unavailable.Add(1)
		return ErrUnavailable
	}
	return nil
}

// unavailable wraps a Redis error; nil stays nil.
func unavailable(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %v", ErrUnavailable, err)
}
