// Package rtcpclock drives the periodic RTCP work of every PeerConnection
// (NACKs, transport-wide congestion feedback, sender and receiver reports)
// from one shared clock: as a Session per peer that a packet path without
// pion's interceptor chain (sfu/engine) feeds directly, and as sender and
// receiver report interceptors for legs still on pion (SIP media). Both
// are built on the same per-stream state.
//
// pion gives each PeerConnection its own ticker per interceptor, so N legs
// wake the process about 20·N times a second at unrelated moments; on a VM
// each of those wake-ups is a context switch of tens of microseconds. Here
// all work due in the same period runs in one burst per tick, so the cost
// of time-driven RTCP no longer grows with the number of legs' wake-ups.
package rtcpclock

import (
	"sync"
	"time"
)

// Clock fans one ticker out to any number of periodic jobs. Jobs with the
// same period run on the same tick. The goroutine starts with the first
// job, idles (no ticker) while there is none, and stops on Close.
type Clock struct {
	base      time.Duration
	newSource func(time.Duration) (<-chan time.Time, func())

	mu    sync.Mutex
	jobs  map[*job]struct{}
	ticks uint64
	wake  chan struct{} // a job was added while idle
	quit  chan struct{}
	done  chan struct{}
	start sync.Once
	due   []*job // reused by run only
	after func() // AfterTick's
}

type job struct {
	every uint64 // in base ticks
	run   func(now time.Time)
}

// New returns a clock whose periods are multiples of base.
func New(base time.Duration) *Clock {
	return NewWithSource(base, func(d time.Duration) (<-chan time.Time, func()) {
		t := time.NewTicker(d)
		return t.C, t.Stop
	})
}

// NewWithSource is New with the ticker injected (tests drive the clock).
func NewWithSource(base time.Duration, source func(time.Duration) (<-chan time.Time, func())) *Clock {
	return &Clock{
		base: base, newSource: source, jobs: map[*job]struct{}{},
		wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{}),
	}
}

// Every runs f every period d (rounded to the clock's base, at least one
// tick) until cancel is called. f runs on the clock's goroutine and must
// not block; it may call cancel. A run already under way when cancel is
// called from elsewhere still completes, so f must tolerate one call after
// its owner has stopped.
func (c *Clock) Every(d time.Duration, f func(now time.Time)) (cancel func()) {
	c.start.Do(func() { go c.run() })
	j := &job{every: max(1, uint64((d+c.base/2)/c.base)), run: f}
	c.mu.Lock()
	c.jobs[j] = struct{}{}
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return func() {
		c.mu.Lock()
		delete(c.jobs, j)
		c.mu.Unlock()
	}
}

// AfterTick has f run on the clock's goroutine after the jobs of each tick
// that ran any, so that what they queued leaves together: every leg's RTCP
// of one tick in one batch send instead of a system call per leg. nil
// removes it.
func (c *Clock) AfterTick(f func()) {
	c.mu.Lock()
	c.after = f
	c.mu.Unlock()
}

// Close stops the clock's goroutine and waits for it. Jobs stop running.
func (c *Clock) Close() {
	started := true
	c.start.Do(func() { started = false })
	select {
	case <-c.quit:
	default:
		close(c.quit)
	}
	if started {
		<-c.done
	}
}

func (c *Clock) run() {
	defer close(c.done)
	for {
		select {
		case <-c.quit:
			return
		case <-c.wake:
		}
		if !c.tickWhileBusy() {
			return
		}
	}
}

// tickWhileBusy ticks until no job is left (true) or the clock closes.
func (c *Clock) tickWhileBusy() bool {
	src, stop := c.newSource(c.base)
	defer stop()
	for {
		select {
		case <-c.quit:
			return false
		case now := <-src:
			if !c.fire(now) {
				return true
			}
		}
	}
}

// fire runs the jobs due on this tick, outside the lock so that a job may
// cancel itself, and reports whether any job is left.
func (c *Clock) fire(now time.Time) bool {
	c.mu.Lock()
	c.ticks++
	c.due = c.due[:0]
	for j := range c.jobs {
		if c.ticks%j.every == 0 {
			c.due = append(c.due, j)
		}
	}
	busy, after := len(c.jobs) > 0, c.after
	c.mu.Unlock()
	for _, j := range c.due {
		j.run(now)
	}
	if after != nil && len(c.due) > 0 {
		after()
	}
	return busy
}
