package sfu

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// TestLegLivenessVerdict drives one leg's liveness through time: media
// moving or not, signalling attached or not.
func TestLegLivenessVerdict(t *testing.T) {
	cfg := LivenessConfig{Silence: 3 * time.Second, Lost: 12 * time.Second, Grace: 60 * time.Second}
	type step struct {
		at       time.Duration // since t0
		media    bool          // the media counter moved since the last step
		detach   bool          // signalling goes away at this step
		reattach bool
		wantEnd  bool
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"media flowing, signalling up: lives", []step{{at: time.Second, media: true}, {at: 30 * time.Second, media: true}, {at: 5 * time.Minute, media: true}}},
		{"killed browser: socket and media stop together", []step{{at: time.Second, media: true}, {at: 1500 * time.Millisecond, detach: true}, {at: 3900 * time.Millisecond}, {at: 4 * time.Second, wantEnd: true}}},
		{"socket drops, media goes on: kept", []step{{at: time.Second, media: true, detach: true}, {at: 10 * time.Second, media: true}, {at: 59 * time.Second, media: true}}},
		{"socket gone for the grace period: ended though media flows", []step{{at: time.Second, media: true, detach: true}, {at: 30 * time.Second, media: true}, {at: 61 * time.Second, media: true, wantEnd: true}}},
		{"socket back in time: grace restarts", []step{{at: time.Second, media: true, detach: true}, {at: 50 * time.Second, media: true, reattach: true}, {at: 70 * time.Second, media: true, detach: true}, {at: 129 * time.Second, media: true}}},
		{"pulled cable: socket looks up, media silent 12 s", []step{{at: time.Second, media: true}, {at: 12 * time.Second}, {at: 13 * time.Second, wantEnd: true}}},
		{"media pause shorter than Lost with signalling up: lives", []step{{at: time.Second, media: true}, {at: 12900 * time.Millisecond}, {at: 13 * time.Second, media: true}, {at: 20 * time.Second, media: true}}},
		{"media pause with signalling gone but back before Silence", []step{{at: time.Second, media: true, detach: true}, {at: 3900 * time.Millisecond, media: true}, {at: 6 * time.Second, media: true}}},
		{"a leg that never got media ends after Lost", []step{{at: 11 * time.Second}, {at: 12 * time.Second, wantEnd: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lv := newLegLiveness(t0)
			var count uint64
			for i, s := range tt.steps {
				now := t0.Add(s.at)
				if s.media {
					count++
				}
				lv.observe(count, 0, now)
				if s.detach {
					lv.signalling(false, now)
				}
				if s.reattach {
					lv.signalling(true, now)
				}
				if end, why := lv.verdict(cfg, now); end != s.wantEnd {
					t.Fatalf("step %d (t0+%v): end = %v (%s), want %v", i, s.at, end, why, s.wantEnd)
				}
			}
		})
	}
}

// TestLegLivenessConsentCounts: ICE consent answers alone keep a leg with
// silent media alive.
func TestLegLivenessConsentCounts(t *testing.T) {
	cfg := DefaultLiveness
	lv := newLegLiveness(t0)
	lv.signalling(false, t0)
	for s := 1; s <= 20; s++ {
		now := t0.Add(time.Duration(s) * time.Second)
		lv.observe(0, uint64(s), now)
		if end, why := lv.verdict(cfg, now); end {
			t.Fatalf("ended at +%ds (%s) though consent answers kept coming", s, why)
		}
	}
}

// fakeTarget is a leg as the monitor sees it.
type fakeTarget struct {
	media, consent atomic.Uint64
	consentAsked   atomic.Int32
	hungUp         chan Reason
}

func newFakeTarget() *fakeTarget           { return &fakeTarget{hungUp: make(chan Reason, 1)} }
func (f *fakeTarget) mediaCount() uint64   { return f.media.Load() }
func (f *fakeTarget) consentCount() uint64 { f.consentAsked.Add(1); return f.consent.Load() }
func (f *fakeTarget) Hangup(context.Context, Reason) error {
	f.hungUp <- ReasonConnectionLost
	return nil
}

// fakeEvery captures the monitor's clock job so the test ticks by hand.
type fakeEvery struct {
	mu   sync.Mutex
	job  func(time.Time)
	jobs int
}

func (e *fakeEvery) every(_ time.Duration, f func(time.Time)) func() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.job, e.jobs = f, e.jobs+1
	return func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.job = nil
	}
}

func (e *fakeEvery) tick(now time.Time) {
	e.mu.Lock()
	f := e.job
	e.mu.Unlock()
	if f != nil {
		f(now)
	}
}

// TestLivenessMonitor: the monitor asks ICE only when media did not move,
// hangs up a detached silent leg once, and runs its clock job only while
// it watches legs.
func TestLivenessMonitor(t *testing.T) {
	var clk atomic.Int64
	now := func() time.Time { return t0.Add(time.Duration(clk.Load())) }
	ev := &fakeEvery{}
	m := newLivenessMonitor(LivenessConfig{Silence: 3 * time.Second, Lost: 12 * time.Second, Grace: time.Minute}, ev.every, now)
	alive, dead := newFakeTarget(), newFakeTarget()
	m.add(alive)
	m.add(dead)
	if ev.jobs != 1 {
		t.Fatalf("%d clock jobs for two legs, want 1", ev.jobs)
	}
	m.setSignalling(dead, false)
	for step := 1; step <= 8; step++ {
		clk.Store(int64(time.Duration(step) * 500 * time.Millisecond))
		alive.media.Add(3)
		ev.tick(now())
	}
	m.wait()
	select {
	case <-dead.hungUp:
	default:
		t.Fatal("a detached leg silent for 4 s was not hung up")
	}
	if alive.consentAsked.Load() != 0 {
		t.Errorf("ICE asked %d times for a leg whose media moved every check", alive.consentAsked.Load())
	}
	if dead.consentAsked.Load() == 0 {
		t.Error("ICE never asked for the silent leg")
	}
	clk.Add(int64(10 * time.Second))
	alive.media.Add(1)
	ev.tick(now())
	m.wait()
	select {
	case <-dead.hungUp:
		t.Fatal("the dead leg was hung up twice")
	case <-alive.hungUp:
		t.Fatal("the live leg was hung up")
	default:
	}
	m.remove(dead)
	m.remove(alive)
	ev.mu.Lock()
	defer ev.mu.Unlock()
	if ev.job != nil {
		t.Error("the clock job runs on with no legs")
	}
}
