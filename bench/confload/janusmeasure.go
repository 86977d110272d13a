package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"
)

// janusResult is what a -janus run measured, the same way as for xphone:
// the server process's CPU (/proc) over the window and its RSS growth.
type janusResult struct {
	cpuMsPerSec      float64
	systemShare      float64
	rssEndKiBPerPart float64
	videoPerSec      float64
}

// runJanus is run's counterpart for Janus's VideoRoom: the same fake
// browsers and video, the same room shape, the same window.
func runJanus(ctx context.Context, o options) (*janusResult, error) {
	j, err := startJanus(ctx, o.janusConfig)
	if err != nil {
		return nil, err
	}
	var peers []*janusPeer
	defer func() {
		j.stop() // first: the sessions' polls then end at once
		for _, p := range peers {
			p.close()
		}
	}()
	if o.pinCore >= 0 {
		if err := pin(j.pid(), o.pinCore); err != nil {
			return nil, err
		}
	}
	rss0 := rssKiB(j.pid())
	if err := createJanusRoom(ctx, j); err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "janus up at %s (pid %d); joining %d participants\n", j.base, j.pid(), o.n)
	peers, err = joinJanusRoom(ctx, j, o)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "all joined; measuring for %s\n", o.duration)
	return measureJanus(ctx, j, peers, o, rss0)
}

func measureJanus(ctx context.Context, j *janusServer, peers []*janusPeer, o options, rss0 int64) (*janusResult, error) {
	video := func() uint64 {
		var n uint64
		for _, p := range peers {
			for _, c := range p.clients() {
				n += c.VideoReceived.Load()
			}
		}
		return n
	}
	user0, sys0 := cpuSplit(j.pid())
	v0, cpu0, t0 := video(), cpuTicks(j.pid()), time.Now()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(o.duration):
	}
	elapsed := time.Since(t0).Seconds()
	res := &janusResult{
		cpuMsPerSec:      float64(cpuTicks(j.pid())-cpu0) * 10 / elapsed, // USER_HZ 100: 10 ms a tick
		videoPerSec:      float64(video()-v0) / elapsed,
		rssEndKiBPerPart: float64(rssKiB(j.pid())-rss0) / float64(len(peers)),
	}
	if user1, sys1 := cpuSplit(j.pid()); (user1-user0)+(sys1-sys0) > 0 {
		res.systemShare = float64(sys1-sys0) / float64((user1-user0)+(sys1-sys0))
	}
	return res, nil
}

func (r *janusResult) print(w io.Writer, o options) {
	fmt.Fprintf(w, "JANUS VideoRoom: participants %d (publishers %d), video %d kbps at %d fps, window %s\n",
		o.n, o.publishers, o.videoKbps, o.fps, o.duration)
	fmt.Fprintf(w, "server CPU             %.1f ms/s (%.0f %% in the kernel)\n", r.cpuMsPerSec, 100*r.systemShare)
	fmt.Fprintf(w, "server RSS growth      at the window's end %.0f KiB per participant\n", r.rssEndKiBPerPart)
	if r.videoPerSec > 0 {
		fmt.Fprintf(w, "video delivered        %.0f packets/s; %.2f µs server CPU per delivered video packet\n",
			r.videoPerSec, r.cpuMsPerSec*1000/r.videoPerSec)
	}
}
