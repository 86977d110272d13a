package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// sample is one look at the calls and the server process.
type sample struct {
	At          float64 `json:"at_s"`         // seconds since all calls were up
	Up          int     `json:"calls_up"`     // calls neither side lost
	Dropped     int     `json:"dropped"`      // calls lost so far
	Starved     int     `json:"starved"`      // call sides that got under half their audio in the interval
	ServerCalls int     `json:"server_calls"` // xphone_calls_active
	Goroutines  int     `json:"goroutines"`
	FDs         int     `json:"fds"`
	RSSKiB      int64   `json:"rss_kib"`
	LiveHeapKiB int64   `json:"live_heap_kib"` // Go heap in use right after a forced GC
	CPUPercent  float64 `json:"cpu_percent"`   // of one core, over the interval
	Echoed      uint64  `json:"pbx_echoed"`    // RTP packets the PBX sent back
}

// proc reads a process's figures from /proc.
type proc struct{ pid int }

func (p proc) fds() int {
	kinds := p.fdKinds()
	if kinds == nil {
		return -1
	}
	n := 0
	for _, c := range kinds {
		n += c
	}
	return n - storeFDs(kinds)
}

// storeFDBound is the most descriptors the server's SQLite store may hold:
// its pool of 4 connections (store.maxConns), each with the database and
// its WAL open, plus the shared-memory index. SQLite keeps a closed
// connection's descriptors until no other connection locks the file, so
// they are not given back after the load; the bound is what is gated.
const storeFDBound = 4*2 + 1

// storeFDs counts the descriptors of the server's SQLite store (the
// database file, its -wal and -shm) among kinds.
func storeFDs(kinds map[string]int) int {
	n := 0
	for target, c := range kinds {
		if strings.HasPrefix(filepath.Base(target), "xphone.db") {
			n += c
		}
	}
	return n
}

func (p proc) rssKiB() int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			v, _ := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			return v
		}
	}
	return -1
}

// cpuTicks is utime+stime in clock ticks (USER_HZ, 100 on Linux).
func (p proc) cpuTicks() int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return ut + st
}

// scrape reads the named metrics (without labels) from the server's
// metrics listener.
func scrape(url string, names ...string) map[string]float64 {
	out := map[string]float64{}
	hc := &http.Client{Timeout: 5 * time.Second}
	resp, err := hc.Get(url)
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if v, err := strconv.ParseFloat(value, 64); ok && err == nil && want[name] {
			out[name] = v
		}
	}
	return out
}

// liveHeapKiB forces a GC in the server (pprof's heap?gc=1) and reads the
// heap left: what the server really holds, unlike RSS, which follows the
// collector's pacing.
func liveHeapKiB(pprofURL, metricsURL string) int64 {
	hc := &http.Client{Timeout: 30 * time.Second}
	resp, err := hc.Get(pprofURL + "heap?gc=1")
	if err != nil {
		return -1
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return int64(scrape(metricsURL, "go_memstats_heap_alloc_bytes")["go_memstats_heap_alloc_bytes"]) >> 10
}

// median of ints.
func median(v []int64) int64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]int64(nil), v...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// trend compares the median of the first three samples with the median of
// the last three: is a figure flat over the run?
type trend struct {
	Name     string `json:"name"`
	First    int64  `json:"first"`
	Last     int64  `json:"last"`
	Min, Max int64
	Allowed  int64 `json:"allowed_growth"`
	Flat     bool  `json:"flat"`
}

func newTrend(name string, v []int64, allowed func(base int64) int64) trend {
	k := min(3, len(v))
	t := trend{Name: name, First: median(v[:k]), Last: median(v[len(v)-k:]), Min: v[0], Max: v[0]}
	for _, x := range v {
		t.Min, t.Max = min(t.Min, x), max(t.Max, x)
	}
	t.Allowed = allowed(t.First)
	t.Flat = t.Last-t.First <= t.Allowed
	return t
}

// fdKinds counts the process's descriptors by what they point at
// ("socket", "anon_inode:[eventpoll]", or the file's path), so a gate
// failure says what was left open.
func (p proc) fdKinds() map[string]int {
	dir := fmt.Sprintf("/proc/%d/fd", p.pid)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	kinds := make(map[string]int)
	for _, e := range entries {
		target, err := os.Readlink(dir + "/" + e.Name())
		if err != nil {
			continue
		}
		if strings.HasPrefix(target, "socket:") {
			target = "socket"
		}
		kinds[target]++
	}
	return kinds
}
