package rtcpclock

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// manualClock never ticks by itself; tests call fire.
func manualClock(t *testing.T) *Clock {
	c := NewWithSource(100*time.Millisecond, func(time.Duration) (<-chan time.Time, func()) { return nil, func() {} })
	t.Cleanup(c.Close)
	return c
}

func TestJobsOfOnePeriodRunOnTheSameTick(t *testing.T) {
	c := manualClock(t)
	var fast, slow, odd []uint64
	var tick uint64
	c.Every(100*time.Millisecond, func(time.Time) { fast = append(fast, tick) })
	c.Every(time.Second, func(time.Time) { slow = append(slow, tick) })
	c.Every(140*time.Millisecond, func(time.Time) { odd = append(odd, tick) }) // rounds to 1 tick
	for tick = 1; tick <= 20; tick++ {
		c.fire(time.Now())
	}
	if len(fast) != 20 || len(odd) != 20 {
		t.Fatalf("100 ms jobs ran %d and %d times in 20 ticks, want 20", len(fast), len(odd))
	}
	if len(slow) != 2 || slow[0] != 10 || slow[1] != 20 {
		t.Fatalf("1 s job ran on ticks %v, want [10 20]", slow)
	}
}

func TestCancelledJobStopsAndMayCancelItself(t *testing.T) {
	c := manualClock(t)
	var runs atomic.Int32
	var cancel func()
	cancel = c.Every(100*time.Millisecond, func(time.Time) {
		if runs.Add(1) == 2 {
			cancel()
		}
	})
	for range 5 {
		c.fire(time.Now())
	}
	if runs.Load() != 2 {
		t.Fatalf("job ran %d times, want 2 (it cancelled itself on the second)", runs.Load())
	}
	if c.fire(time.Now()) {
		t.Fatal("clock still busy without jobs")
	}
}

// The ticker runs only while there are jobs: an idle clock causes no
// wake-ups, and a new job restarts it.
func TestIdleClockStopsItsTicker(t *testing.T) {
	src := make(chan time.Time)
	var starts, stops atomic.Int32
	c := NewWithSource(100*time.Millisecond, func(time.Duration) (<-chan time.Time, func()) {
		starts.Add(1)
		return src, func() { stops.Add(1) }
	})
	defer c.Close()
	ran := make(chan struct{}, 10)
	cancel := c.Every(100*time.Millisecond, func(time.Time) { ran <- struct{}{} })
	src <- time.Now()
	<-ran
	cancel()
	src <- time.Now() // no job left: the clock goes idle
	waitFor(t, func() bool { return stops.Load() == 1 })
	c.Every(100*time.Millisecond, func(time.Time) { ran <- struct{}{} })
	src <- time.Now()
	<-ran
	if starts.Load() != 2 {
		t.Fatalf("ticker started %d times, want 2", starts.Load())
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 5 s")
		}
		time.Sleep(time.Millisecond)
	}
}

// AfterTick runs once after the jobs of a tick that ran any (the flush of
// what they queued), and not on a tick where none was due.
func TestAfterTickFollowsTheTicksJobs(t *testing.T) {
	c := manualClock(t)
	var order []string
	c.Every(100*time.Millisecond, func(time.Time) { order = append(order, "fast") })
	c.Every(200*time.Millisecond, func(time.Time) { order = append(order, "slow") })
	c.AfterTick(func() { order = append(order, "flush") })
	for range 2 {
		c.fire(time.Now())
	}
	want := "fast flush fast slow flush"
	if got := fmt.Sprint(order); got != "["+want+"]" && got != "[fast flush slow fast flush]" {
		t.Fatalf("order %v, want %s (one flush after each tick's jobs)", order, want)
	}
}
