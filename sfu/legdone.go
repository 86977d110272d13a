package sfu

import "sync/atomic"

// afterDoner is a Leg that calls a function when it ends, so a watcher
// needs no goroutine blocked on Done for the leg's whole life (one per
// participant in a room).
type afterDoner interface {
	// AfterDone arranges for f to run on its own goroutine once the leg
	// has ended (at once if it has), like context.AfterFunc; stop
	// unregisters f and reports whether it stopped f from running.
	AfterDone(f func()) (stop func() bool)
}

// AfterDone calls f on its own goroutine once leg has ended: through the
// leg's own AfterDone when it has one (a WebRTCLeg: no goroutine while
// the leg lives), otherwise with a goroutine that waits on Done until
// stop or the end. stop reports whether it stopped f from running; f's
// owner waits for f itself.
func AfterDone(leg Leg, f func()) (stop func() bool) {
	if a, ok := leg.(afterDoner); ok {
		return a.AfterDone(f)
	}
	d := &doneFunc{f: f, stopped: make(chan struct{})}
	go func() {
		select {
		case <-leg.Done():
			d.run()
		case <-d.stopped:
		}
	}()
	return d.stop
}

// doneFunc is one registered function: it runs at most once, unless
// stopped first.
type doneFunc struct {
	f       func()
	state   atomic.Int32  // 0 waiting, 1 ran, 2 stopped
	stopped chan struct{} // closed by stop (the fallback watcher only)
}

func (d *doneFunc) run() {
	if d.state.CompareAndSwap(0, 1) {
		d.f()
	}
}

func (d *doneFunc) stop() bool {
	if !d.state.CompareAndSwap(0, 2) {
		return false
	}
	if d.stopped != nil {
		close(d.stopped)
	}
	return true
}
