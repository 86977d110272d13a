package main

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// goStats are the server's Go runtime gauges, read from its /metrics.
type goStats struct {
	goroutines, heapInuse, stackInuse float64
	// The mixer's late frames (counters, not per participant).
	caughtUp, skipped float64
}

// readGoStats scrapes the runtime gauges; zero values if /metrics fails.
func readGoStats(srv *server) goStats {
	hc := &http.Client{Timeout: 5 * time.Second}
	resp, err := hc.Get(srv.metrics)
	if err != nil {
		return goStats{}
	}
	defer resp.Body.Close()
	var s goStats
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		v, err := strconv.ParseFloat(value, 64)
		if !ok || err != nil {
			continue
		}
		switch name {
		case "go_goroutines":
			s.goroutines = v
		case "go_memstats_heap_inuse_bytes":
			s.heapInuse = v
		case "go_memstats_stack_inuse_bytes":
			s.stackInuse = v
		case "xphone_mixer_frames_caught_up_total":
			s.caughtUp = v
		case "xphone_mixer_frames_skipped_total":
			s.skipped = v
		}
	}
	return s
}

// perParticipant is the growth from before to after, per participant.
func (after goStats) perParticipant(before goStats, n int) goStats {
	f := float64(n)
	return goStats{
		goroutines: (after.goroutines - before.goroutines) / f,
		heapInuse:  (after.heapInuse - before.heapInuse) / f,
		stackInuse: (after.stackInuse - before.stackInuse) / f,
	}
}

// cpuSplit is utime and stime of pid in clock ticks (/proc/PID/stat).
func cpuSplit(pid int) (user, system int64) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0
	}
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	user, _ = strconv.ParseInt(f[11], 10, 64)
	system, _ = strconv.ParseInt(f[12], 10, 64)
	return user, system
}

// contextSwitches sums voluntary and involuntary switches over pid's threads.
func contextSwitches(pid int) int64 {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	var n int64
	for _, t := range tasks {
		data, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			if strings.HasSuffix(strings.Fields(line + " x")[0], "ctxt_switches:") {
				v, _ := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
				n += v
			}
		}
	}
	return n
}
