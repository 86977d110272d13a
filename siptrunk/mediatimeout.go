package siptrunk

import (
	"sync/atomic"
	"time"

	"xphone/sfu"
)

// defaultMediaTimeout ends calls whose peer sent nothing for this long
// when the trunk's media_timeout is not set.
const defaultMediaTimeout = 30 * time.Second

// mediaTimeout is the trunk's media_timeout: unset → 30 s, 0 → off.
func (t *Trunk) mediaTimeout() time.Duration {
	if d := t.cfg.Trunk.MediaTimeout; d != nil {
		return d.D()
	}
	return defaultMediaTimeout
}

// watchMedia ends the call (BYE, sfu.ReasonMediaFailed) when the media
// transport fails, and, with a media timeout, when the peer sends no RTP
// or RTCP for that long while the call is established and not on hold.
// The peer's dialog is still up then: the BYE keeps it from dangling (none
// goes out before the dialog is established). It samples the media's
// packet counter, so the packet path pays nothing. Runs on the leg's wait
// group until the leg ends.
func (l *Leg) watchMedia() {
	answered := l.answered
	var silence *silenceWatch
	var tick <-chan time.Time // nil (never ready) until the ticker runs
	ticker := time.NewTicker(max(l.mediaTimeout/8, 10*time.Millisecond))
	ticker.Stop() // runs from the answer on, with a timeout
	defer ticker.Stop()
	for {
		select {
		case <-l.ctx.Done():
			return
		case <-l.media.Failed():
			l.begin(sfu.ReasonMediaFailed, true)
			return
		case <-answered:
			answered = nil
			if l.mediaTimeout > 0 {
				silence = &silenceWatch{timeout: l.mediaTimeout, last: l.media.Received(), since: time.Now()}
				ticker.Reset(max(l.mediaTimeout/8, 10*time.Millisecond))
				tick = ticker.C
			}
		case now := <-tick:
			n := l.media.Received()
			if silence.expired(n, now, l.expectsMedia()) {
				l.log.Warn("no media from the peer; hanging up", "timeout", l.mediaTimeout, "received", n)
				l.begin(sfu.ReasonMediaFailed, true)
				return
			}
		}
	}
}

// silenceWatch measures how long the peer's packet count stood still.
type silenceWatch struct {
	timeout time.Duration
	last    uint64
	since   time.Time
}

// expired takes the count n sampled at now: a new packet, or a call on
// hold (expecting nothing), restarts the measure.
func (s *silenceWatch) expired(n uint64, now time.Time, expecting bool) bool {
	if n != s.last || !expecting {
		s.last, s.since = n, now
		return false
	}
	return now.Sub(s.since) >= s.timeout
}

// expectsMedia is false while the call is on hold either way: a peer that
// holds (our answer is not sendrecv), or that we hold with a=sendonly,
// may rightly send nothing.
func (l *Leg) expectsMedia() bool {
	for _, v := range []*atomic.Value{&l.ourDir, &l.answerDir} {
		if dir, _ := v.Load().(string); dir != "" && dir != "sendrecv" {
			return false
		}
	}
	return true
}
