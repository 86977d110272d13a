package main

import (
	"context"
	"fmt"
	"io"
	"time"
)

// holder runs one load: it places the calls, samples, and hangs up.
type holder struct {
	o        options
	srv      *server
	pbx      *pbx
	proc     proc
	progress io.Writer
	calls    []*call
	cpu      int64
	at       time.Time
}

// settle is how long the server gets after the hang-up to close everything
// (UDP SIP transactions linger up to 32 s by RFC 3261's timers).
const settle = 45 * time.Second

func (h *holder) hold(ctx context.Context) (*result, error) {
	time.Sleep(time.Second)
	res := &result{Options: describe(h.o), BeforeGoroutines: h.goroutines(), BeforeFDs: h.proc.fds(), BeforeFDKinds: h.proc.fdKinds()}
	res.IdleCPUPercent = h.idleCPU()
	start := time.Now()
	calls, err := placeAll(ctx, h.srv, h.o)
	h.calls = calls
	defer h.hangup()
	if err != nil {
		return nil, err
	}
	res.SetupSeconds = time.Since(start).Seconds()
	fmt.Fprintf(h.progress, "%d calls up in %.1f s; warming up %s, then holding for %s\n", len(calls), res.SetupSeconds, h.o.warmup, h.o.duration)
	time.Sleep(h.o.warmup)
	h.check(0) // start counting audio from here
	h.cpu, h.at = h.proc.cpuTicks(), time.Now()
	t0 := time.Now()
	tick := time.NewTicker(h.o.interval)
	defer tick.Stop()
	for time.Since(t0) < h.o.duration {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-tick.C:
		}
		s := h.sample(time.Since(t0))
		res.Samples = append(res.Samples, s)
		fmt.Fprintln(h.progress, s.line())
	}
	res.Lost = h.lostCalls()
	res.cpuPerCall(h.o.calls)
	h.hangup()
	res.AfterGoroutines, res.AfterFDs = h.settled(res.BeforeGoroutines, res.BeforeFDs)
	res.AfterFDKinds = h.proc.fdKinds()
	res.judge()
	return res, nil
}

// idleWindow is how long the server's CPU is read before any call, for
// the baseline the per-call figure is taken above.
const idleWindow = 5 * time.Second

// idleCPU is the server's CPU, percent of one core, with no calls.
func (h *holder) idleCPU() float64 {
	cpu, at := h.proc.cpuTicks(), time.Now()
	time.Sleep(idleWindow)
	return float64(h.proc.cpuTicks()-cpu) / time.Since(at).Seconds() // ticks are 1/100 s
}

// check looks at every call; min is the audio packets each side needs.
func (h *holder) check(min uint64) (up, dropped, starved int) {
	for _, c := range h.calls {
		starved += c.check(min)
		if c.lost != "" {
			dropped++
		} else {
			up++
		}
	}
	return up, dropped, starved
}

func (h *holder) sample(at time.Duration) sample {
	// Half of the 50 packets a second each side should get.
	min := uint64(h.o.interval / (40 * time.Millisecond))
	up, dropped, starved := h.check(min)
	m := scrape(h.srv.metrics, "go_goroutines", "xphone_calls_active")
	cpu, now := h.proc.cpuTicks(), time.Now()
	pct := float64(cpu-h.cpu) / now.Sub(h.at).Seconds() // ticks are 1/100 s: per second = percent
	s := sample{At: at.Seconds(), Up: up, Dropped: dropped, Starved: starved, ServerCalls: int(m["xphone_calls_active"]),
		Goroutines: int(m["go_goroutines"]), FDs: h.proc.fds(), RSSKiB: h.proc.rssKiB(), CPUPercent: pct, Echoed: h.pbx.echoed.Load()}
	s.LiveHeapKiB = liveHeapKiB(h.srv.pprof, h.srv.metrics) // after the CPU reading: the forced GC is ours
	h.cpu, h.at = h.proc.cpuTicks(), time.Now()
	return s
}

func (s sample) line() string {
	return fmt.Sprintf("t=%5.0fs up %3d dropped %d starved %d | server calls %3d goroutines %5d fds %5d rss %6.1f MiB live heap %5.1f MiB cpu %5.1f%% | pbx echoed %d",
		s.At, s.Up, s.Dropped, s.Starved, s.ServerCalls, s.Goroutines, s.FDs, float64(s.RSSKiB)/1024, float64(s.LiveHeapKiB)/1024, s.CPUPercent, s.Echoed)
}

func (h *holder) goroutines() int {
	return int(scrape(h.srv.metrics, "go_goroutines")["go_goroutines"])
}

func (h *holder) lostCalls() []string {
	var out []string
	for i, c := range h.calls {
		if c.lost != "" {
			out = append(out, fmt.Sprintf("call %d (%s): %s", i, c.kind, c.lost))
		}
	}
	return out
}

func (h *holder) hangup() {
	for _, c := range h.calls {
		if c != nil {
			c.hangup()
		}
	}
	h.calls = nil
}

// settled waits until goroutines and descriptors are back near their
// values before the load (or settle passes) and returns them.
func (h *holder) settled(goroutines, fds int) (int, int) {
	deadline := time.Now().Add(settle)
	for {
		g, f := h.goroutines(), h.proc.fds()
		if (g <= goroutines+afterSlack && f <= fds+afterSlack) || time.Now().After(deadline) {
			return g, f
		}
		time.Sleep(time.Second)
	}
}
