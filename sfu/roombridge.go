package sfu

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// BridgeSpec links room Room to a PBX conference: Number is dialled
// through the Dialer that Bridges' lookup returns for Trunk.
type BridgeSpec struct {
	Room, Trunk, Number string
}

// Bridges dials each bridged room's PBX conference while the room has
// real participants, and hangs it up when the last one leaves. A failed
// or dropped bridge call is retried with backoff; the room works without.
type Bridges struct {
	rooms  *Conferences
	lookup func(trunk string) Dialer
	log    *slog.Logger
	// Backoff bounds between attempts (tests shorten them).
	MinBackoff, MaxBackoff time.Duration

	mu    sync.Mutex
	specs map[string]BridgeSpec
	runs  map[string]*bridgeRun // by room
	wg    sync.WaitGroup
	done  bool
}

// bridgeRun is the goroutine keeping one room's bridge up.
type bridgeRun struct {
	cancel   context.CancelFunc
	joined   bool // the bridge leg is in the room (counted in its legs)
	attempts int
}

// NewBridges watches rooms and bridges those in specs. lookup finds the
// trunk's Dialer at dial time (trunks may be reloaded).
func NewBridges(rooms *Conferences, specs []BridgeSpec, lookup func(trunk string) Dialer, log *slog.Logger) *Bridges {
	b := &Bridges{rooms: rooms, lookup: lookup, log: log, MinBackoff: time.Second, MaxBackoff: time.Minute,
		runs: map[string]*bridgeRun{}}
	b.Update(specs)
	rooms.SetWatcher(b.evaluate)
	return b
}

// Update replaces the bridged rooms (config reload). Running bridges go
// on until their room empties; new specs apply to the next first join.
func (b *Bridges) Update(specs []BridgeSpec) {
	m := make(map[string]BridgeSpec, len(specs))
	for _, s := range specs {
		m[s.Room] = s
	}
	b.mu.Lock()
	b.specs = m
	b.mu.Unlock()
}

// Attempts is how many times room's bridge has been dialled in its
// current run (0 when not running).
func (b *Bridges) Attempts(room string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if r := b.runs[room]; r != nil {
		return r.attempts
	}
	return 0
}

// evaluate starts or stops room's bridge after a join or leave.
func (b *Bridges) evaluate(room string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	spec, bridged := b.specs[room]
	run := b.runs[room]
	real := b.rooms.Legs(room)
	if run != nil && run.joined {
		real--
	}
	switch {
	case real > 0 && run == nil && bridged && !b.done:
		ctx, cancel := context.WithCancel(context.Background())
		run = &bridgeRun{cancel: cancel}
		b.runs[room] = run
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			b.keepUp(ctx, spec, run)
		}()
	case real <= 0 && run != nil:
		run.cancel()
	}
}

// Close hangs up every bridge and waits for their goroutines.
func (b *Bridges) Close() {
	b.mu.Lock()
	b.done = true
	for _, r := range b.runs {
		r.cancel()
	}
	b.mu.Unlock()
	b.wg.Wait()
}
