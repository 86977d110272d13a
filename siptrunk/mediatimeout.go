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

// watchMedia ends the call (BYE, sfu.ReasonMediaFailed) when the peer
// sends no RTP or RTCP for timeout while the call is established and not
// on hold. It samples the media's packet counter, so the packet path
// pays nothing. Runs on the leg's wait group until the leg closes.
func (l *Leg) watchMedia(timeout time.Duration) {
	select {
	case <-l.answered:
	case <-l.closing:
		return
	}
	tick := time.NewTicker(max(timeout/8, 10*time.Millisecond))
	defer tick.Stop()
	last, since := l.media.Received(), time.Now()
	for {
		select {
		case <-l.closing:
			return
		case now := <-tick.C:
			n := l.media.Received()
			if n != last || !l.expectsMedia() {
				last, since = n, now
				continue
			}
			if now.Sub(since) >= timeout {
				l.log.Warn("no media from the peer; hanging up", "timeout", timeout, "received", n)
				l.begin(sfu.ReasonMediaFailed, true)
				return
			}
		}
	}
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
