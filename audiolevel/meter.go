package audiolevel

import (
	"math"
	"runtime"
	"sync/atomic"
	"time"
)

// Activity is a participant's speech activity at one instant, as read from
// their Meter.
type Activity struct {
	// Speaking is true while a sustained talk run is under way: at least
	// MinTalk of speech, and the last speech frame no more than Release ago.
	// Always false while muted.
	Speaking bool
	// TalkTime is how long the current talk run has lasted, from its first
	// speech frame to its latest, gaps shorter than Release included; 0 when
	// no run is under way.
	TalkTime time.Duration
	// Level is the smoothed level (see Params.Window) on the RFC 6464 scale:
	// lower is louder. It is Silence when muted or when no packet has
	// arrived for longer than Release.
	Level uint8
	// LastPacket is when the latest packet was observed; zero if none.
	LastPacket time.Time
	// LastSpeech is when the latest speech frame ended; zero if none.
	LastSpeech time.Time
	// Muted reports SetMuted(true).
	Muted bool
}

// Meter measures one participant's speech activity from the levels of their
// audio packets. The participant's read loop is the single writer (Observe);
// any number of goroutines may read (Snapshot) and mute (SetMuted) at once.
// The zero value is ready to use with DefaultParams.
//
// Synchronisation is a seqlock made of atomics, not a mutex: Observe never
// blocks and never waits for a reader (a reader preempted inside a mutex
// would stall the packet path), and costs a handful of uncontended atomic
// stores. A reader that overlaps a write retries; writes last nanoseconds.
type Meter struct {
	params atomic.Pointer[Params]    // nil means DefaultParams
	base   atomic.Pointer[time.Time] // time of the first Observe
	muted  atomic.Bool
	seq    atomic.Uint64 // odd while Observe is publishing
	pub    [pubWords]atomic.Uint64
	w      talkState // owned by the writer
}

// NewMeter returns a Meter using p; fields Validate rejects take defaults.
func NewMeter(p Params) *Meter {
	m := &Meter{}
	m.SetParams(p)
	return m
}

// SetParams switches the meter to p (live config reload); fields Validate
// rejects take defaults. Safe to call at any time from any goroutine.
func (m *Meter) SetParams(p Params) {
	p = p.sanitized()
	m.params.Store(&p)
}

// SetMuted marks the participant muted or not. While muted they are never
// Speaking, their Level is Silence, and their packets count as silence.
func (m *Meter) SetMuted(muted bool) { m.muted.Store(muted) }

// Observe records one audio packet: its RFC 6464 level and V bit, its audio
// duration (≤ 0 means 20 ms) and its arrival time. Call it for every audio
// packet, from one goroutine at a time. It neither blocks nor allocates
// (apart from once, on the first call).
func (m *Meter) Observe(level uint8, voice bool, dur time.Duration, now time.Time) {
	base := m.base.Load()
	if base == nil {
		first := now // only this branch's copy escapes
		base = &first
		m.base.Store(base)
	}
	m.w.observe(m.paramsOrDefault(), level, voice, m.muted.Load(), dur, now.Sub(*base))
	m.publish()
}

// Snapshot returns the participant's activity at now. Safe for concurrent
// use with Observe and other Snapshots; it does not allocate.
func (m *Meter) Snapshot(now time.Time) Activity {
	muted := m.muted.Load()
	base := m.base.Load()
	if base == nil {
		return Activity{Level: Silence, Muted: muted}
	}
	s := m.load()
	return s.activity(m.paramsOrDefault(), *base, now.Sub(*base), muted)
}

var defaultParams = DefaultParams()

func (m *Meter) paramsOrDefault() *Params {
	if p := m.params.Load(); p != nil {
		return p
	}
	return &defaultParams
}

// The published words of a talkState (credit is writer-only).
const (
	wLevel = iota
	wLast
	wLastDur
	wRunStart
	wSpeechEnd
	wFlags
	pubWords
)

const (
	fSeen = 1 << iota
	fInRun
	fSustained
	fSpoke
)

// publish copies the writer's state to the seqlock words.
func (m *Meter) publish() {
	s := &m.w
	m.seq.Add(1)
	m.pub[wLevel].Store(math.Float64bits(s.level))
	m.pub[wLast].Store(uint64(s.last))
	m.pub[wLastDur].Store(uint64(s.lastDur))
	m.pub[wRunStart].Store(uint64(s.runStart))
	m.pub[wSpeechEnd].Store(uint64(s.speechEnd))
	m.pub[wFlags].Store(flag(s.seen, fSeen) | flag(s.inRun, fInRun) |
		flag(s.sustained, fSustained) | flag(s.spoke, fSpoke))
	m.seq.Add(1)
}

// load reads a consistent copy of the published state, retrying while a
// write overlaps; after a few spins it yields to let the writer finish.
func (m *Meter) load() talkState {
	var w [pubWords]uint64
	for spin := 0; ; spin++ {
		if seq := m.seq.Load(); seq&1 == 0 {
			for i := range w {
				w[i] = m.pub[i].Load()
			}
			if m.seq.Load() == seq {
				break
			}
		}
		if spin >= 4 {
			runtime.Gosched()
		}
	}
	f := w[wFlags]
	return talkState{
		level: math.Float64frombits(w[wLevel]), last: time.Duration(w[wLast]),
		lastDur: time.Duration(w[wLastDur]), runStart: time.Duration(w[wRunStart]),
		speechEnd: time.Duration(w[wSpeechEnd]),
		seen:      f&fSeen != 0, inRun: f&fInRun != 0, sustained: f&fSustained != 0, spoke: f&fSpoke != 0,
	}
}

func flag(b bool, bit uint64) uint64 {
	if b {
		return bit
	}
	return 0
}
