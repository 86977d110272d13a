package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"time"
)

// probeFreq is the mix-delay probe tone, distinct from the talkers' tones.
const probeFreq = 2000

// lateGap spaces the -late joiners, so each joins a room that is not
// busy with the previous one's handshake.
const lateGap = 300 * time.Millisecond

// room is everyone who joined, by role.
type room struct {
	all       []*participant
	talkers   []*participant
	probe     *participant // silent talker that bursts to measure mix delay
	listener  *participant // decodes its mix to find the probe's bursts
	observers []*participant
	joinTimes []time.Duration
	// heard times each non-talker's first mixed audio with a talker in it,
	// joined with the room filling; lateHeard the same for -late joiners.
	heard, lateHeard []*firstAudio
	lateJoinTimes    []time.Duration
	rssBefore        int64
	goBefore         goStats
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
		took, fa, err := r.joinOne(ctx, srv, o, i)
		if err != nil {
			return r, err
		}
		r.joinTimes = append(r.joinTimes, took)
		if fa != nil {
			r.heard = append(r.heard, fa)
		}
		if (i+1)%25 == 0 {
			fmt.Fprintf(os.Stderr, "  %d joined\n", i+1)
		}
	}
	return r, nil
}

// joinLate joins o.late more participants into the full, talking room,
// lateGap apart.
func (r *room) joinLate(ctx context.Context, srv *server, o options) error {
	for i := o.n; i < o.n+o.late; i++ {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(lateGap):
		}
		took, fa, err := r.joinOne(ctx, srv, o, i)
		if err != nil {
			return err
		}
		r.lateJoinTimes = append(r.lateJoinTimes, took)
		if fa != nil {
			r.lateHeard = append(r.lateHeard, fa)
		}
	}
	return nil
}

// waitHeard waits (at most hearWait) until every joiner heard the talkers,
// so that none is still listening for them in the window.
func (r *room) waitHeard() {
	waitAll(append(slices.Clone(r.heard), r.lateHeard...), time.After(hearWait))
}

// joinOne joins participant i and gives it its role; fa times its first
// sound (nil for talkers, and when nobody talks).
func (r *room) joinOne(ctx context.Context, srv *server, o options, i int) (time.Duration, *firstAudio, error) {
	start := time.Now()
	var fa *firstAudio
	if o.talkers > 0 && i >= o.talkers {
		fa = newFirstAudio(talkerFreqs(o.talkers), time.Now, start)
		fa.keepListening = i == o.n-1 // the mix-delay listener
	}
	jctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	p, err := join(jctx, srv, strconv.Itoa(2000+i), o, o.sendsVideo(i), fa)
	cancel()
	if err != nil {
		return 0, nil, err
	}
	took := time.Since(start)
	if fa != nil {
		fa.connected = p.client.ConnectedAt()
	}
	r.all = append(r.all, p)
	return took, fa, r.assignRole(p, i, o)
}

// talkerFreq is the tone talker i sends.
func talkerFreq(i int) float64 { return 300 + float64(i)*150 }

func talkerFreqs(k int) []float64 {
	f := make([]float64, k)
	for i := range f {
		f[i] = talkerFreq(i)
	}
	return f
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
		return c.StartTone(talkerFreq(i), 6000)
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
