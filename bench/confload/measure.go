package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"xphone/sfu/sfutest"
)

// result is what one run measured.
type result struct {
	cpuMsPerSec    float64
	systemShare    float64 // of the CPU time, in the kernel
	switchesPerSec float64 // server threads' context switches
	goPerPart      goStats // runtime growth per participant
	rssKiBPerPart  float64
	// The same at the end of the window, once buffers that fill with the
	// media sent (retransmission caches) have filled.
	goEndPerPart     goStats
	rssEndKiBPerPart float64
	packetsPerCPUSec float64
	joinP50, joinP95 time.Duration
	// First mixed audio with a talker in it, for the joiners that filled
	// the room and for the -late ones.
	joinAudio, lateAudio     joinAudio
	lateJoinP50, lateJoinP95 time.Duration
	switchLat                []time.Duration
	mixDelay                 []time.Duration
	// RTP clock of the received audio against wall time, per receiver.
	talkerClocks, listenerClocks []float64
	// Mixer frames produced late (caught up) and skipped in the window.
	caughtUp, skipped float64
	// Video packets the participants received per second.
	videoPerSec float64
}

// measure runs the switch and probe script for o.duration.
func measure(ctx context.Context, srv *server, r *room, o options) (*result, error) {
	res := &result{joinP50: percentile(r.joinTimes, 0.5), joinP95: percentile(r.joinTimes, 0.95),
		joinAudio: summarise(r.heard), lateAudio: summarise(r.lateHeard),
		lateJoinP50: percentile(r.lateJoinTimes, 0.5), lateJoinP95: percentile(r.lateJoinTimes, 0.95)}
	n := len(r.all)
	res.rssKiBPerPart = float64(rssKiB(srv.pid())-r.rssBefore) / float64(n)
	late0 := readGoStats(srv)
	res.goPerPart = late0.perParticipant(r.goBefore, n)
	var probe *probe
	if r.probe != nil {
		probe = newProbe(r)
	}
	user0, sys0, sw0 := cpuSplitAndSwitches(srv.pid())
	for _, p := range r.all {
		p.client.ResetAudioClock()
	}
	pkts0, video0, cpu0, t0 := received(r), receivedVideo(r), cpuTicks(srv.pid()), time.Now()
	tick := time.NewTicker(o.switchGap)
	defer tick.Stop()
	for turn := 1; time.Since(t0) < o.duration; turn++ {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-tick.C:
		}
		if len(r.talkers) == 0 {
			continue
		}
		res.switchLat = append(res.switchLat, r.switchTo(turn%len(r.talkers))...)
		if d, ok := probe.fire(o.switchGap / 2); ok {
			res.mixDelay = append(res.mixDelay, d)
		}
	}
	elapsed := time.Since(t0).Seconds()
	cpuSec := float64(cpuTicks(srv.pid())-cpu0) / 100 // USER_HZ
	user1, sys1, sw1 := cpuSplitAndSwitches(srv.pid())
	if d := (user1 - user0) + (sys1 - sys0); d > 0 {
		res.systemShare = float64(sys1-sys0) / float64(d)
	}
	res.switchesPerSec = float64(sw1-sw0) / elapsed
	res.talkerClocks, res.listenerClocks = r.clocks()
	late1 := readGoStats(srv)
	res.goEndPerPart = late1.perParticipant(r.goBefore, n)
	res.rssEndKiBPerPart = float64(rssKiB(srv.pid())-r.rssBefore) / float64(n)
	res.caughtUp, res.skipped = late1.caughtUp-late0.caughtUp, late1.skipped-late0.skipped
	res.cpuMsPerSec = cpuSec * 1000 / elapsed
	if cpuSec > 0 {
		res.packetsPerCPUSec = float64(received(r)-pkts0) / cpuSec
	}
	res.videoPerSec = float64(receivedVideo(r)-video0) / elapsed
	return res, nil
}

// switchTo makes talker i the loudest and returns how long each observer
// took to learn it (switch latency as the clients see it).
func (r *room) switchTo(i int) []time.Duration {
	for j, t := range r.talkers {
		t.client.Level.Store(40)
		if j == i {
			t.client.Level.Store(10)
		}
	}
	at := time.Now()
	want := r.talkers[i].self
	var out []time.Duration
	deadline := at.Add(1500 * time.Millisecond)
	for _, o := range r.observers {
		for time.Now().Before(deadline) {
			if seen, ok := o.firstDominantAfter(want, at); ok {
				out = append(out, seen.Sub(at))
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	return out
}

// probe measures mix delay: the probe talker bursts a tone as the loudest
// voice; the listener notes when the tone comes out of its decoded mix.
type probe struct {
	r     *room
	mu    sync.Mutex
	start time.Time
	heard time.Time
}

func newProbe(r *room) *probe {
	p := &probe{r: r}
	r.listener.client.OnAudio(func(pcm []int16) {
		if sfutest.ToneDB(pcm, probeFreq) < -40 {
			return
		}
		p.mu.Lock()
		if !p.start.IsZero() && p.heard.IsZero() {
			p.heard = time.Now()
		}
		p.mu.Unlock()
	})
	return p
}

// fire sends one burst and waits for it, at most wait.
func (p *probe) fire(wait time.Duration) (time.Duration, bool) {
	c := p.r.probe.client
	p.mu.Lock()
	p.start, p.heard = time.Now(), time.Time{}
	p.mu.Unlock()
	c.Level.Store(5)
	c.Silent.Store(false)
	time.Sleep(wait)
	c.Silent.Store(true)
	c.Level.Store(127)
	p.mu.Lock()
	defer p.mu.Unlock()
	d := p.heard.Sub(p.start)
	ok := !p.heard.IsZero()
	p.start = time.Time{}
	return d, ok
}

// receivedVideo is the video packets all participants have decoded so far.
func receivedVideo(r *room) uint64 {
	var n uint64
	for _, p := range r.all {
		n += p.client.VideoReceived.Load()
	}
	return n
}

func received(r *room) uint64 {
	var n uint64
	for _, p := range r.all {
		n += p.client.AudioReceived.Load() + p.client.VideoReceived.Load()
	}
	return n
}

// cpuTicks is utime+stime of pid in clock ticks (/proc/PID/stat).
func cpuTicks(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return ut + st
}

// rssKiB is the resident set of pid.
func rssKiB(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			v, _ := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			return v
		}
	}
	return 0
}

func cpuSplitAndSwitches(pid int) (user, system, switches int64) {
	user, system = cpuSplit(pid)
	return user, system, contextSwitches(pid)
}

func (r *result) print(w io.Writer, o options) {
	impl := "gopus"
	switch {
	case o.binary != "":
		impl = "as built in " + o.binary
	case o.libopus:
		impl = "libopus"
	}
	frames := "by room size"
	if o.listenerFrame != 0 {
		frames = fmt.Sprintf("%d ms", o.listenerFrame)
	}
	n := o.n + o.late
	fmt.Fprintf(w, "participants %d (%d late), talkers %d, video %v (publishers %d, 0 = all), opus %s, listener frames %s, window %s\n", n, o.late, o.talkers, o.video, o.publishers, impl, frames, o.duration)
	fmt.Fprintf(w, "server CPU             %.1f ms/s (%.3f ms/s per participant)\n", r.cpuMsPerSec, r.cpuMsPerSec/float64(n))
	fmt.Fprintf(w, "  in the kernel        %.0f %%; %.0f context switches/s\n", 100*r.systemShare, r.switchesPerSec)
	fmt.Fprintf(w, "server RSS growth      %.0f KiB per participant\n", r.rssKiBPerPart)
	g := r.goPerPart
	fmt.Fprintf(w, "  Go heap / stacks     %.0f / %.0f KiB per participant; %.1f goroutines per participant\n",
		g.heapInuse/1024, g.stackInuse/1024, g.goroutines)
	fmt.Fprintf(w, "  at the window's end  %.0f KiB RSS, %.0f KiB Go heap per participant\n",
		r.rssEndKiBPerPart, r.goEndPerPart.heapInuse/1024)
	fmt.Fprintf(w, "packets out per CPU-s  %.0f\n", r.packetsPerCPUSec)
	switch {
	case o.talkers == 0 && r.videoPerSec > 0:
		// With nobody talking the mixer sends only keep-alives, so the
		// server's CPU is (nearly) all forwarding: the µs per
		// delivered video packet, comparable with Janus's VideoRoom.
		fmt.Fprintf(w, "video delivered        %.0f packets/s; %.2f µs server CPU per delivered video packet\n",
			r.videoPerSec, r.cpuMsPerSec*1000/r.videoPerSec)
	case r.videoPerSec > 0: // the mixer's CPU is in the figure too
		fmt.Fprintf(w, "video delivered        %.0f packets/s; %.2f µs server CPU (mixer included) per delivered video packet\n",
			r.videoPerSec, r.cpuMsPerSec*1000/r.videoPerSec)
	}
	fmt.Fprintf(w, "join time              p50 %s  p95 %s\n", r.joinP50.Round(time.Millisecond), r.joinP95.Round(time.Millisecond))
	if o.talkers > 0 { // with nobody talking there is nothing to hear
		r.joinAudio.print(w, "first mixed audio")
	}
	if o.late > 0 {
		fmt.Fprintf(w, "late join time         p50 %s  p95 %s\n", r.lateJoinP50.Round(time.Millisecond), r.lateJoinP95.Round(time.Millisecond))
	}
	if o.late > 0 && o.talkers > 0 {
		r.lateAudio.print(w, "  late first audio")
	}
	fmt.Fprintf(w, "speaker switch         p50 %s  p95 %s  (%d samples)\n", percentile(r.switchLat, 0.5).Round(time.Millisecond),
		percentile(r.switchLat, 0.95).Round(time.Millisecond), len(r.switchLat))
	fmt.Fprintf(w, "mix delay              p50 %s  p95 %s  (%d samples)\n", percentile(r.mixDelay, 0.5).Round(time.Millisecond),
		percentile(r.mixDelay, 0.95).Round(time.Millisecond), len(r.mixDelay))
	fmt.Fprintf(w, "mixer frames late      %.0f caught up, %.0f skipped (of %.0f)\n", r.caughtUp, r.skipped, o.duration.Seconds()*50)
	printClocks(w, "talkers", r.talkerClocks)
	printClocks(w, "listeners", r.listenerClocks)
}
