package sfu

import (
	"context"
	"math/rand/v2"
	"time"
)

// keepUp dials the bridge and keeps it in the room until ctx ends (the
// room emptied), redialling with backoff when the call fails or drops.
func (b *Bridges) keepUp(ctx context.Context, spec BridgeSpec, run *bridgeRun) {
	log := b.log.With("room", spec.Room, "bridge", spec.Number, "trunk", spec.Trunk)
	defer func() {
		b.mu.Lock()
		if b.runs[spec.Room] == run {
			delete(b.runs, spec.Room)
		}
		b.mu.Unlock()
		run.cancel()
		b.evaluate(spec.Room) // someone may have joined while this run was ending
	}()
	for failures := 0; b.mayBridge(spec.Room); {
		b.mu.Lock()
		run.attempts++
		b.mu.Unlock()
		err := b.once(ctx, spec, run)
		if ctx.Err() != nil {
			return
		}
		failures++
		wait := b.backoff(failures)
		log.Warn("room bridge call failed or dropped; retrying", "err", err, "attempt", failures, "retry_in", wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// once dials the bridge, joins its leg to the room and stays until the
// leg ends or ctx ends (then it hangs up).
func (b *Bridges) once(ctx context.Context, spec BridgeSpec, run *bridgeRun) error {
	d := b.lookup(spec.Trunk)
	if d == nil {
		return ErrUnavailable
	}
	start := time.Now()
	leg, err := d.Dial(ctx, DialRequest{CallID: NewID("bridge"), From: Identity{Number: spec.Room, Name: "Room " + spec.Room},
		To: spec.Number, Origin: RoomOrigin(spec.Room)})
	if err != nil {
		return err
	}
	b.log.Info("room bridge connected", "room", spec.Room, "bridge", spec.Number, "setup", time.Since(start))
	conf, err := b.rooms.Join(ctx, spec.Room, "", NewID("bridge"), leg, nopConferenceObserver{})
	if err != nil {
		_ = leg.Hangup(context.Background(), ReasonHangup)
		return err
	}
	// Counted as a real participant until now (harmless: the run exists);
	// re-evaluate in case the last one left meanwhile.
	b.mu.Lock()
	run.joined = true
	b.mu.Unlock()
	b.evaluate(spec.Room)
	select {
	case <-leg.Done():
		err = ErrUnavailable
	case <-ctx.Done():
	}
	b.unjoin(run)
	b.rooms.Leave(conf, leg)
	_ = leg.Hangup(context.Background(), ReasonHangup)
	return err
}

// unjoin marks the bridge leg as leaving before it leaves: while it is
// still in the room it is then over-counted (harmless), never the last
// real participant mistaken for the bridge.
func (b *Bridges) unjoin(run *bridgeRun) {
	b.mu.Lock()
	run.joined = false
	b.mu.Unlock()
}

// backoff is MinBackoff doubling per failure up to MaxBackoff, ±25 %.
func (b *Bridges) backoff(n int) time.Duration {
	d := b.MinBackoff << min(n-1, 20)
	if d > b.MaxBackoff || d <= 0 {
		d = b.MaxBackoff
	}
	return d + time.Duration(rand.Int64N(int64(d)/2+1)) - d/4
}
