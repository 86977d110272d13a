package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"time"
)

// probeFreq is the mix-delay probe tone, distinct from the talkers' tones.
const probeFreq = 2000

// room is everyone who joined, by role.
type room struct {
	all       []*participant
	talkers   []*participant
	probe     *participant // silent talker that bursts to measure mix delay
	listener  *participant // decodes its mix to find the probe's bursts
	observers []*participant
	joinTimes []time.Duration
	rssBefore int64
	goBefore  goStats
}

func (r *room) close() {
	for _, p := range r.all {
		p.close()
	}
}

// joinAll joins o.n participants one after another, timing each join.
func joinAll(ctx context.Context, srv *server, o options) (*room, error) {
	r := &room{rssBefore: rssKiB(srv.pid()), goBefore: readGoStats(srv)}
	for i := 0; i < o.n; i++ {
		start := time.Now()
		jctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		p, err := join(jctx, srv, strconv.Itoa(2000+i), o.video, o.sendsVideo(i))
		cancel()
		if err != nil {
			return r, err
		}
		r.joinTimes = append(r.joinTimes, time.Since(start))
		r.all = append(r.all, p)
		if err := r.assignRole(p, i, o); err != nil {
			return r, err
		}
		if (i+1)%25 == 0 {
			fmt.Fprintf(os.Stderr, "  %d joined\n", i+1)
		}
	}
	return r, nil
}

// assignRole makes the first K participants talkers, the next one the
// delay probe, the last one its listener and a few others observers.
func (r *room) assignRole(p *participant, i int, o options) error {
	c := p.client
	switch {
	case i < o.talkers:
		c.Level.Store(40)
		if i == 0 {
			c.Level.Store(10)
		}
		r.talkers = append(r.talkers, p)
		return c.StartTone(300+float64(i)*150, 6000)
	case i == o.talkers && o.talkers > 0: // -talkers 0: nobody speaks, no probe either
		c.Silent.Store(true)
		r.probe = p
		return c.StartTone(probeFreq, 12000)
	case i == o.n-1:
		r.listener = p
	}
	if len(r.observers) < 5 && i > o.talkers {
		r.observers = append(r.observers, p)
	}
	c.StartSending(byte(i))
	return nil
}

func percentile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(q*float64(len(s))))]
}
