package main

import (
	"fmt"
	"io"
)

// afterSlack is how many goroutines or descriptors above the pre-load
// figure still count as "back" after the hang-up.
const afterSlack = 5

// result is one run's outcome.
type result struct {
	Options          string         `json:"options"`
	SetupSeconds     float64        `json:"setup_s"`
	Samples          []sample       `json:"samples"`
	Lost             []string       `json:"lost"`
	Trends           []trend        `json:"trends"`
	BeforeGoroutines int            `json:"before_goroutines"`
	BeforeFDs        int            `json:"before_fds"`
	AfterGoroutines  int            `json:"after_goroutines"`
	AfterFDs         int            `json:"after_fds"`
	BeforeFDKinds    map[string]int `json:"before_fd_kinds"`
	AfterFDKinds     map[string]int `json:"after_fd_kinds"`
	Dropped          int            `json:"dropped"`
	StarvedSamples   int            `json:"starved_samples"`
	// The server's CPU: idle before the calls, the mean over the samples,
	// and what that makes per call above idle.
	IdleCPUPercent float64  `json:"idle_cpu_percent"`
	CPUPercent     float64  `json:"cpu_percent"`
	CPUPerCall     float64  `json:"cpu_ms_per_s_per_call"`
	CallsPerCore   float64  `json:"calls_per_core"`
	Pass           bool     `json:"pass"`
	Why            []string `json:"why,omitempty"`
}

func describe(o options) string {
	opus := "pure-Go Opus"
	if o.libopus {
		opus = "libopus"
	}
	return fmt.Sprintf("%d calls (%d browser↔browser, %d browser↔trunk with %s), %s, sampled every %s, %s", o.calls, o.browserCalls(),
		o.trunkCalls(), o.trunkCodec, o.duration, o.interval, opus)
}

// cpuPerCall averages the samples' CPU and divides what is above idle by
// the calls: ms of CPU per second per call (1 % of a core is 10 ms/s), and
// the calls one core holds at that rate.
func (r *result) cpuPerCall(calls int) {
	if len(r.Samples) == 0 || calls == 0 {
		return
	}
	for _, s := range r.Samples {
		r.CPUPercent += s.CPUPercent / float64(len(r.Samples))
	}
	r.CPUPerCall = max(r.CPUPercent-r.IdleCPUPercent, 0) * 10 / float64(calls)
	if r.CPUPerCall > 0 {
		r.CallsPerCore = 1000 / r.CPUPerCall
	}
}

// judge applies the gate: no drop, no starved sample, flat figures, and
// goroutines and descriptors back after the hang-up.
func (r *result) judge() {
	var g, f, rss, heap []int64
	for _, s := range r.Samples {
		g, f, rss, heap = append(g, int64(s.Goroutines)), append(f, int64(s.FDs)), append(rss, s.RSSKiB), append(heap, s.LiveHeapKiB)
		if s.Starved > 0 {
			r.StarvedSamples++
		}
		r.Dropped = max(r.Dropped, s.Dropped)
	}
	if len(r.Samples) < 3 {
		r.Why = append(r.Why, fmt.Sprintf("only %d samples: run longer or sample more often", len(r.Samples)))
		return
	}
	r.Trends = []trend{
		newTrend("goroutines", g, func(b int64) int64 { return max(20, b/50) }),
		newTrend("fds", f, func(b int64) int64 { return max(10, b/50) }),
		newTrend("rss_kib", rss, func(b int64) int64 { return max(16<<10, b/10) }),
		newTrend("live_heap_kib", heap, func(b int64) int64 { return max(4<<10, b/20) }),
	}
	if r.Dropped > 0 {
		r.Why = append(r.Why, fmt.Sprintf("%d calls dropped", r.Dropped))
	}
	if r.StarvedSamples > 0 {
		r.Why = append(r.Why, fmt.Sprintf("audio stalled in %d samples", r.StarvedSamples))
	}
	for _, t := range r.Trends {
		if !t.Flat {
			r.Why = append(r.Why, fmt.Sprintf("%s grew from %d to %d (allowed +%d)", t.Name, t.First, t.Last, t.Allowed))
		}
	}
	if n := storeFDs(r.AfterFDKinds); n > storeFDBound {
		r.Why = append(r.Why, fmt.Sprintf("the store holds %d descriptors after the load (bound %d)", n, storeFDBound))
	}
	if r.AfterGoroutines > r.BeforeGoroutines+afterSlack || r.AfterFDs > r.BeforeFDs+afterSlack {
		r.Why = append(r.Why, fmt.Sprintf("after the hang-up: %d goroutines, %d fds; before the load %d, %d",
			r.AfterGoroutines, r.AfterFDs, r.BeforeGoroutines, r.BeforeFDs))
	}
	r.Pass = len(r.Why) == 0
}

func (r *result) print(w io.Writer) {
	fmt.Fprintf(w, "callload: %s; set up in %.1f s\n", r.Options, r.SetupSeconds)
	fmt.Fprintf(w, "dropped calls          %d\n", r.Dropped)
	for _, l := range r.Lost {
		fmt.Fprintf(w, "  %s\n", l)
	}
	fmt.Fprintf(w, "samples with a stall   %d of %d\n", r.StarvedSamples, len(r.Samples))
	fmt.Fprintf(w, "server cpu             %.1f %% of a core (idle %.1f %%): %.2f ms/s per call, %.0f calls per core\n",
		r.CPUPercent, r.IdleCPUPercent, r.CPUPerCall, r.CallsPerCore)
	for _, t := range r.Trends {
		fmt.Fprintf(w, "%-22s first %d last %d (min %d, max %d; allowed growth %d) flat=%v\n", t.Name, t.First, t.Last, t.Min, t.Max, t.Allowed, t.Flat)
	}
	fmt.Fprintf(w, "before / after load    goroutines %d / %d, fds %d / %d (besides the store's %d / %d, bound %d)\n",
		r.BeforeGoroutines, r.AfterGoroutines, r.BeforeFDs, r.AfterFDs, storeFDs(r.BeforeFDKinds), storeFDs(r.AfterFDKinds), storeFDBound)
	fmt.Fprintf(w, "fds by kind            before %v\n                       after  %v\n", r.BeforeFDKinds, r.AfterFDKinds)
	if r.Pass {
		fmt.Fprintln(w, "gate                   PASS")
		return
	}
	fmt.Fprintln(w, "gate                   FAIL")
	for _, why := range r.Why {
		fmt.Fprintf(w, "  %s\n", why)
	}
}
