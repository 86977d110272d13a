package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pion/sdp/v3"
)

// TestShortLoadGate is the CI version of the documented 100-call run
// (docs/benchmarks.md): 20 calls (10 browser ↔ browser, 10 browser ↔ trunk
// through the echoing PBX) held 20 s by the real tool against the real
// binary, both built without the race detector. Nothing may drop, no call
// side may go without audio (trunk calls: without their echoed tone) in any
// 2 s sample, goroutines, descriptors and RSS stay flat, and after the
// hang-up goroutines and descriptors return to where they were.
func TestShortLoadGate(t *testing.T) {
	if testing.Short() {
		t.Skip("load gate: 30 pion peers for 20 s; runs without -short")
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for _, pkg := range []string{"../../cmd/xphone", "."} {
		out, err := exec.CommandContext(ctx, "go", "build", "-o", dir+"/", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	report := filepath.Join(dir, "result.json")
	cmd := exec.CommandContext(ctx, filepath.Join(dir, "callload"), "-binary", filepath.Join(dir, "xphone"),
		"-calls", "20", "-duration", "20s", "-interval", "2s", "-warmup", "3s", "-json", report)
	out, err := cmd.CombinedOutput()
	t.Logf("callload:\n%s", out)
	if err != nil {
		t.Fatalf("callload: %v", err)
	}
	var res result
	data, err := os.ReadFile(report)
	if err != nil || json.Unmarshal(data, &res) != nil {
		t.Fatalf("result %s: %v", report, err)
	}
	if len(res.Samples) < 9 {
		t.Fatalf("%d samples, want 10", len(res.Samples))
	}
	for _, s := range res.Samples {
		if s.Up != 20 || s.ServerCalls != 20 || s.Starved != 0 {
			t.Errorf("at %.0f s: %d calls up, %d on the server, %d sides starved; want 20, 20, 0", s.At, s.Up, s.ServerCalls, s.Starved)
		}
	}
	if !res.Pass {
		t.Fatalf("gate failed: %s", strings.Join(res.Why, "; "))
	}
}

func TestJudge(t *testing.T) {
	flat := func(g, f int, rss int64) sample { return sample{Up: 10, Goroutines: g, FDs: f, RSSKiB: rss} }
	steady := []sample{flat(1000, 300, 100<<10), flat(1003, 300, 104<<10), flat(998, 301, 99<<10), flat(1001, 300, 110<<10), flat(1000, 300, 101<<10)}
	tests := []struct {
		name   string
		edit   func(r *result)
		pass   bool
		reason string
	}{
		{"steady", func(*result) {}, true, ""},
		{"goroutines climb", func(r *result) {
			for i := range r.Samples {
				r.Samples[i].Goroutines += 30 * i
			}
		}, false, "goroutines grew"},
		{"descriptors climb", func(r *result) {
			for i := range r.Samples {
				r.Samples[i].FDs += 10 * i
			}
		}, false, "fds grew"},
		{"RSS climbs", func(r *result) {
			for i := range r.Samples {
				r.Samples[i].RSSKiB += int64(i) * 20 << 10
			}
		}, false, "rss_kib grew"},
		{"live heap climbs", func(r *result) {
			for i := range r.Samples {
				r.Samples[i].LiveHeapKiB = 50<<10 + int64(i)*4<<10
			}
		}, false, "live_heap_kib grew"},
		{"one GC spike is not growth", func(r *result) { r.Samples[4].RSSKiB = 200 << 10 }, true, ""},
		{"a drop", func(r *result) { r.Samples[3].Dropped = 1 }, false, "1 calls dropped"},
		{"a stall", func(r *result) { r.Samples[2].Starved = 1 }, false, "audio stalled in 1 samples"},
		{"goroutines left after the hang-up", func(r *result) { r.AfterGoroutines = 40 }, false, "after the hang-up"},
		{"the store within its pool", func(r *result) {
			r.AfterFDKinds = map[string]int{"/d/xphone.db": 4, "/d/xphone.db-wal": 4, "/d/xphone.db-shm": 1, "socket": 6}
		}, true, ""},
		{"the store beyond its pool", func(r *result) {
			r.AfterFDKinds = map[string]int{"/d/xphone.db": 8, "/d/xphone.db-wal": 8, "/d/xphone.db-shm": 1}
		}, false, "the store holds 17 descriptors"},
		{"too few samples", func(r *result) { r.Samples = r.Samples[:2] }, false, "only 2 samples"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &result{Samples: append([]sample(nil), steady...), BeforeGoroutines: 20, AfterGoroutines: 22, BeforeFDs: 14, AfterFDs: 14}
			tt.edit(r)
			r.judge()
			if r.Pass != tt.pass || (tt.reason != "" && !strings.Contains(strings.Join(r.Why, "; "), tt.reason)) {
				t.Fatalf("pass %v why %q; want pass %v with %q", r.Pass, r.Why, tt.pass, tt.reason)
			}
		})
	}
}

// The per-call CPU is the mean above idle, shared by the calls; 1 % of a
// core is 10 ms of CPU per second.
func TestCPUPerCall(t *testing.T) {
	r := result{IdleCPUPercent: 1, Samples: []sample{{CPUPercent: 20}, {CPUPercent: 22}}}
	r.cpuPerCall(40)
	if r.CPUPercent != 21 || r.CPUPerCall != 5 || r.CallsPerCore != 200 {
		t.Fatalf("mean %.2f %%, %.2f ms/s per call, %.0f per core; want 21, 5, 200", r.CPUPercent, r.CPUPerCall, r.CallsPerCore)
	}
	idle := result{IdleCPUPercent: 3, Samples: []sample{{CPUPercent: 2}}}
	idle.cpuPerCall(10)
	if idle.CPUPerCall != 0 || idle.CallsPerCore != 0 {
		t.Fatalf("below idle: %.2f ms/s per call, %.0f per core; want 0, 0 (no figure)", idle.CPUPerCall, idle.CallsPerCore)
	}
}

// The PBX answers with the payload type the server offered for the codec.
func TestOfferedPT(t *testing.T) {
	offer := "v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
		"m=audio 4000 RTP/AVP 111 0 101\r\na=rtpmap:111 OPUS/48000/2\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
	var o sdp.SessionDescription
	if err := o.Unmarshal([]byte(offer)); err != nil {
		t.Fatal(err)
	}
	m := o.MediaDescriptions[0]
	for enc, want := range map[string]string{"opus/48000": "111", "telephone-event/8000": "101", "g722/8000": ""} {
		if got := offeredPT(m, enc); got != want {
			t.Errorf("%s: PT %q, want %q", enc, got, want)
		}
	}
}
