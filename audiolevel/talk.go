package audiolevel

import (
	"math"
	"time"
)

// defaultFrame is the packet duration assumed when a caller passes none.
const defaultFrame = 20 * time.Millisecond

// talkState is a Meter's state machine as plain data: the smoothed level and
// the current talk run, with times as offsets from the meter's time base.
// The writer owns one; readers get consistent copies through the seqlock.
type talkState struct {
	level     float64       // smoothed level as of last, 0..127
	last      time.Duration // arrival (= end of audio) of the latest packet
	lastDur   time.Duration // audio duration of that packet
	runStart  time.Duration // start of the first speech frame of the run
	speechEnd time.Duration // end of the latest speech frame
	credit    time.Duration // leaky speech credit of the run (writer only)
	seen      bool          // a packet has been observed
	inRun     bool          // a talk run has started (it may since have lapsed)
	sustained bool          // the run's credit has reached MinTalk
	spoke     bool          // speechEnd is set
}

// observe folds in one packet ending at t. A muted packet counts as silence.
// Time never runs backwards for a meter: t before the last packet is taken
// as the last packet's time.
func (s *talkState) observe(p *Params, level uint8, voice, muted bool, dur, t time.Duration) {
	if dur <= 0 {
		dur = defaultFrame
	}
	if s.seen && t < s.last {
		t = s.last
	}
	start := t - dur
	if !s.seen {
		s.seen, s.level, s.last = true, float64(Silence), start
	}
	speech := !muted && level <= p.Threshold && (voice || !p.RequireVoice)
	if muted || level > Silence {
		level = Silence
	}
	// Time no packet covered counts as silence, then this packet's level.
	s.level = smooth(s.level, float64(Silence), start-s.last, p.Window)
	s.level = smooth(s.level, float64(level), dur, p.Window)
	if speech {
		s.addSpeech(p, start, t, dur)
	}
	s.last, s.lastDur = t, dur
}

// addSpeech extends the talk run with a speech frame [start, end), or starts
// a new run when the silence since the previous speech frame exceeds Release.
// Silence inside a run drains the credit as fast as speech fills it, so
// sound that is on less than half the time (typing, clicks) never adds up.
func (s *talkState) addSpeech(p *Params, start, end, dur time.Duration) {
	silence := max(start-s.speechEnd, 0)
	if !s.inRun || silence > p.Release {
		s.inRun, s.sustained = true, false
		s.runStart, s.credit = start, 0
	} else {
		s.credit = max(s.credit-silence, 0)
	}
	s.credit += dur
	s.speechEnd, s.spoke = end, true
	if s.credit >= p.MinTalk {
		s.sustained = true
	}
}

// activity is what the state means at offset t (now).
func (s *talkState) activity(p *Params, base time.Time, t time.Duration, muted bool) Activity {
	a := Activity{Level: Silence, Muted: muted}
	if !s.seen {
		return a
	}
	t = max(t, s.last)
	a.LastPacket = base.Add(s.last)
	if s.spoke {
		a.LastSpeech = base.Add(s.speechEnd)
	}
	if s.inRun && t-s.speechEnd <= p.Release {
		a.TalkTime = s.speechEnd - s.runStart
		a.Speaking = s.sustained && !muted
	}
	if !muted && t-s.last <= p.Release {
		// Allow one packet's worth of lateness before decaying, so the
		// level does not sag between packets that are merely jittered.
		idle := t - s.last - s.lastDur
		a.Level = toLevel(smooth(s.level, float64(Silence), idle, p.Window))
	}
	return a
}

// smooth moves cur toward target as an exponential moving average with time
// constant window over dt (no change for dt ≤ 0).
func smooth(cur, target float64, dt, window time.Duration) float64 {
	if dt <= 0 {
		return cur
	}
	return target + (cur-target)*math.Exp(-float64(dt)/float64(window))
}

// toLevel rounds a smoothed level to the 0..127 scale.
func toLevel(v float64) uint8 {
	v = math.Round(v)
	switch {
	case v <= 0:
		return 0
	case v >= float64(Silence):
		return Silence
	}
	return uint8(v)
}
