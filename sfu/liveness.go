package sfu

import (
	"context"
	"sync"
	"time"
)

// LivenessConfig says when a browser leg whose party has vanished is hung
// up. Liveness comes from the media path (RTP, RTCP and ICE consent
// answers, RFC 7675), not from the signalling socket: a socket can drop
// while the call is fine, and a call can die while its socket looks open.
type LivenessConfig struct {
	// Silence ends a leg whose browser has sent nothing for this long while
	// its signalling is gone too: a killed browser or a closed laptop.
	Silence time.Duration
	// Lost ends a leg whose browser has sent nothing for this long even if
	// its signalling still looks up (a pulled cable: TCP has not noticed;
	// a live tab would have restarted ICE by then).
	Lost time.Duration
	// Grace ends a leg whose signalling has been gone this long even while
	// its media flows: the tab never came back to control the call.
	Grace time.Duration
	// Check is how often legs are checked.
	Check time.Duration
}

// DefaultLiveness ends a killed browser's calls within ≈ 3 s, a pulled
// cable's within ≈ 12.5 s, and gives a tab 60 s to reconnect its socket.
// A live browser is never silent for long: it sends RTCP about every
// second and Opus DTX every 400 ms, and, the server being ICE-lite, its
// own consent checks every few seconds (RFC 7675), well within Lost.
var DefaultLiveness = LivenessConfig{Silence: 2500 * time.Millisecond, Lost: 12 * time.Second, Grace: 60 * time.Second,
	Check: 250 * time.Millisecond}

// withDefaults fills zero fields from DefaultLiveness.
func (c LivenessConfig) withDefaults() LivenessConfig {
	if c.Silence <= 0 {
		c.Silence = DefaultLiveness.Silence
	}
	if c.Lost <= 0 {
		c.Lost = DefaultLiveness.Lost
	}
	if c.Grace <= 0 {
		c.Grace = DefaultLiveness.Grace
	}
	if c.Check <= 0 {
		c.Check = DefaultLiveness.Check
	}
	return c
}

// legLiveness is the liveness state of one leg: pure, driven by the times
// it is given, so tests need no clock.
type legLiveness struct {
	lastSeen   time.Time // media last seen moving (or the leg's start)
	media      uint64    // packet counter at the last check
	consent    uint64    // ICE activity counter at the last check
	detachedAt time.Time // zero while the signalling is attached
}

func newLegLiveness(now time.Time) *legLiveness { return &legLiveness{lastSeen: now} }

// observe records the leg's counters at now; either one moving means the
// browser is alive.
func (lv *legLiveness) observe(media, consent uint64, now time.Time) {
	if media != lv.media || consent != lv.consent {
		lv.lastSeen = now
	}
	lv.media, lv.consent = media, consent
}

// signalling records that the leg's signalling went away (up false) or came
// back at now.
func (lv *legLiveness) signalling(up bool, now time.Time) {
	switch {
	case up:
		lv.detachedAt = time.Time{}
	case lv.detachedAt.IsZero():
		lv.detachedAt = now
	}
}

// verdict reports whether the leg must end at now, and why (for the log).
func (lv *legLiveness) verdict(cfg LivenessConfig, now time.Time) (bool, string) {
	silent := now.Sub(lv.lastSeen)
	detached := !lv.detachedAt.IsZero()
	switch {
	case detached && silent >= cfg.Silence:
		return true, "no media and no signalling"
	case silent >= cfg.Lost:
		return true, "no media"
	case detached && now.Sub(lv.detachedAt) >= cfg.Grace:
		return true, "signalling gone past the grace period"
	}
	return false, ""
}

// livenessTarget is what the monitor watches: a browser leg.
type livenessTarget interface {
	// mediaCount counts what the read loops saw (RTP and RTCP); cheap.
	mediaCount() uint64
	// consentCount counts packets and ICE consent answers on the selected
	// candidate pair; asked only when mediaCount did not move.
	consentCount() uint64
	Hangup(ctx context.Context, reason Reason) error
}

// failingTarget is a target that knows when its connection failed by
// itself (the engine peer's handshake), which ends it at the next check.
type failingTarget interface {
	failure() (Reason, bool)
}

// livenessMonitor checks every browser leg on the shared clock and hangs up
// those whose party is gone.
type livenessMonitor struct {
	every func(d time.Duration, f func(time.Time)) (cancel func())
	now   func() time.Time

	mu     sync.Mutex
	cfg    LivenessConfig
	legs   map[livenessTarget]*legLiveness
	cancel func()
	ending sync.WaitGroup // hangups started by the monitor
}

func newLivenessMonitor(cfg LivenessConfig, every func(time.Duration, func(time.Time)) func(), now func() time.Time) *livenessMonitor {
	return &livenessMonitor{every: every, now: now, cfg: cfg.withDefaults(), legs: map[livenessTarget]*legLiveness{}}
}

// setConfig changes the timeouts (config reload); the check period stays.
func (m *livenessMonitor) setConfig(cfg LivenessConfig) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cfg = cfg.withDefaults()
}

// add starts watching l; the clock job exists only while legs do.
func (m *livenessMonitor) add(l livenessTarget) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.legs[l] = newLegLiveness(m.now())
	if m.cancel == nil {
		m.cancel = m.every(m.cfg.Check, m.tick)
	}
}

// remove stops watching l.
func (m *livenessMonitor) remove(l livenessTarget) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.legs, l)
	if len(m.legs) == 0 && m.cancel != nil {
		m.cancel()
		m.cancel = nil
	}
}

// setSignalling records whether l's signalling is attached.
func (m *livenessMonitor) setSignalling(l livenessTarget, up bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if lv := m.legs[l]; lv != nil {
		lv.signalling(up, m.now())
	}
}

// tick checks every leg. The counters are read outside the lock (a
// leg's own locks are not taken under the monitor's).
func (m *livenessMonitor) tick(now time.Time) {
	m.mu.Lock()
	targets := make([]livenessTarget, 0, len(m.legs))
	for l := range m.legs {
		targets = append(targets, l)
	}
	m.mu.Unlock()
	for _, l := range targets {
		m.check(l, now)
	}
}

func (m *livenessMonitor) check(l livenessTarget, now time.Time) {
	if f, ok := l.(failingTarget); ok {
		if reason, failed := f.failure(); failed {
			m.mu.Lock()
			_, watched := m.legs[l]
			delete(m.legs, l)
			m.mu.Unlock()
			if watched {
				m.hangup(l, "media connection failed", reason)
			}
			return
		}
	}
	media := l.mediaCount()
	m.mu.Lock()
	lv := m.legs[l]
	if lv == nil {
		m.mu.Unlock()
		return
	}
	consent := lv.consent
	moved := media != lv.media
	m.mu.Unlock()
	if !moved {
		consent = l.consentCount()
	}
	m.mu.Lock()
	lv.observe(media, consent, now)
	end, why := lv.verdict(m.cfg, now)
	if end {
		delete(m.legs, l) // ends once
	}
	m.mu.Unlock()
	if end {
		m.hangup(l, why, ReasonConnectionLost)
	}
}

// hangup ends l off the clock's goroutine (Hangup waits for the leg's own
// goroutines).
func (m *livenessMonitor) hangup(l livenessTarget, why string, reason Reason) {
	m.ending.Add(1)
	go func() {
		defer m.ending.Done()
		if lg, ok := l.(interface{ logEnd(string) }); ok {
			lg.logEnd(why)
		}
		_ = l.Hangup(context.Background(), reason)
	}()
}

// wait waits for the hangups the monitor started.
func (m *livenessMonitor) wait() { m.ending.Wait() }
