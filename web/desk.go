package web

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"xphone/cluster"
	"xphone/configs"
	"xphone/sfu"
	"xphone/store"
)

// DeskStore is what the desk keeps in the durable store.
type DeskStore interface {
	store.History
	store.Settings
}

// DeskOptions are a Desk's dependencies.
type DeskOptions struct {
	Store    DeskStore
	Registry *Registry
	// Presence is where the extensions' presence goes, beside the PBX
	// phones the trunks watch; nil: none.
	Presence *sfu.PresenceBoard
	// Cluster shares the extensions' presence with the other nodes
	// (desk_cluster.go); nil: this node's alone.
	Cluster cluster.Cluster
	Log     *slog.Logger
	Now     func() time.Time // nil: time.Now
}

// Desk is what each extension's phone keeps and shows besides its calls:
// the recent-calls list (fed by call control's records), do-not-disturb,
// and the directory of who can be called. It pushes changes to every tab
// of the extensions concerned (docs/signaling.md, "The phone around the
// calls"). Store writes run on one worker goroutine the desk owns, so call
// control never waits for the disk.
type Desk struct {
	db       DeskStore
	registry *Registry
	board    *sfu.PresenceBoard
	log      *slog.Logger
	now      func() time.Time

	limits atomic.Pointer[configs.History]
	dir    atomic.Pointer[directory]

	mu    sync.Mutex // guards dnd
	dnd   map[string]bool
	dndMu sync.Mutex // serialises SetDND, so the store and dnd agree

	presMu   sync.Mutex // guards dirty
	dirty    map[string]bool
	presWake chan struct{}
	cp       *clusterPresence // nil: no cluster

	jobs    chan func()
	stop    chan struct{}
	wg      sync.WaitGroup
	closing sync.Once
	dropped atomic.Int64 // records lost to a full queue
}

// deskQueue bounds the store writes waiting for the worker.
const deskQueue = 256

// deskTimeout bounds one store operation of the desk.
const deskTimeout = 5 * time.Second

// NewDesk loads who has do-not-disturb on and starts the worker.
func NewDesk(o DeskOptions, limits configs.History) (*Desk, error) {
	d := &Desk{db: o.Store, registry: o.Registry, board: o.Presence, log: o.Log, now: o.Now, dnd: map[string]bool{},
		dirty: map[string]bool{}, presWake: make(chan struct{}, 1), jobs: make(chan func(), deskQueue), stop: make(chan struct{})}
	if d.now == nil {
		d.now = time.Now
	}
	if o.Cluster != nil && o.Presence != nil {
		d.cp = newClusterPresence(o.Cluster)
	}
	d.limits.Store(&limits)
	d.dir.Store(&directory{})
	if err := d.loadDND(); err != nil {
		return nil, err
	}
	d.wg.Add(1)
	go d.work()
	d.startPresence()
	d.enqueue(d.trimAll)
	return d, nil
}

// work runs store jobs in order until Close.
func (d *Desk) work() {
	defer d.wg.Done()
	for {
		select {
		case job := <-d.jobs:
			job()
		case <-d.stop:
			for { // what is queued still reaches the store
				select {
				case job := <-d.jobs:
					job()
				default:
					return
				}
			}
		}
	}
}

// enqueue hands job to the worker without waiting; a full queue drops it
// (logged and counted): a stuck disk must not stall call control.
func (d *Desk) enqueue(job func()) {
	select {
	case d.jobs <- job:
	default:
		d.dropped.Add(1)
		d.log.Error("desk queue full: a call-history write was dropped")
	}
}

// Close stops the worker after the queued writes.
func (d *Desk) Close() {
	d.closing.Do(func() { close(d.stop) })
	d.wg.Wait()
}

// SetHistoryLimits applies reloaded history caps, trimming every list.
func (d *Desk) SetHistoryLimits(h configs.History) {
	d.limits.Store(&h)
	d.enqueue(d.trimAll)
}

// historyLimits are the caps as the store takes them, at now.
func (d *Desk) historyLimits() store.HistoryLimits {
	h := d.limits.Load()
	l := store.HistoryLimits{Keep: h.MaxEntries}
	if h.MaxAge > 0 {
		l.Since = d.now().Add(-h.MaxAge.D())
	}
	return l
}

func (d *Desk) trimAll() {
	ctx, cancel := context.WithTimeout(context.Background(), deskTimeout)
	defer cancel()
	if n, err := d.db.TrimHistory(ctx, d.historyLimits()); err != nil {
		d.log.Error("cannot trim call history", "err", err)
	} else if n > 0 {
		d.log.Info("call history trimmed to its caps", "removed", n)
	}
}

// greet sends a tab's socket the desk's state: the directory, presence,
// do-not-disturb and recent calls (after hello).
func (d *Desk) greet(t *tab, c *tabConn) {
	c.queue(d.dir.Load().msg, t.log)
	c.queue(encode(dndMsg{Type: "dnd", On: d.storedDND(t.ext.Number)}), t.log)
	if msg, err := d.historyMsg(t.ext.Number); err != nil {
		t.log.Error("cannot read call history", "err", err)
	} else {
		c.queue(msg, t.log)
	}
}

// toExt sends msg to every tab of ext.
func (d *Desk) toExt(ext string, msg []byte) {
	for _, t := range d.registry.tabsOf(ext) {
		t.send(msg)
	}
}
