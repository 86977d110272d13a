package sfu

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
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
	// gate says whether this node may bridge a room (rooms across nodes:
	// only the host of the room's cascade does); nil: always.
	gate atomic.Pointer[func(room string) bool]
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

// SetGate makes f decide whether this node bridges room: with rooms
// across nodes only the host of the room's cascade dials its bridge, so
// the PBX conference is joined once, not once per node (its audio reaches
// the other nodes through the cascade like a member's). Call Evaluate
// whenever f's answer for a room may have changed.
func (b *Bridges) SetGate(f func(room string) bool) {
	b.gate.Store(&f)
}

// mayBridge is the gate's answer for room.
func (b *Bridges) mayBridge(room string) bool {
	f := b.gate.Load()
	return f == nil || *f == nil || (*f)(room)
}

// Evaluate starts or stops room's bridge as its members and the gate
// now say.
func (b *Bridges) Evaluate(room string) { b.evaluate(room) }

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
	may := b.mayBridge(room) // before b.mu: the gate takes its own locks
	b.mu.Lock()
	defer b.mu.Unlock()
	spec, bridged := b.specs[room]
	run := b.runs[room]
	real := b.rooms.Legs(room)
	if run != nil && run.joined {
		real--
	}
	switch {
	case real > 0 && run == nil && bridged && may && !b.done:
		ctx, cancel := context.WithCancel(context.Background())
		run = &bridgeRun{cancel: cancel}
		b.runs[room] = run
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			b.keepUp(ctx, spec, run)
		}()
	case (real <= 0 || !may) && run != nil:
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
