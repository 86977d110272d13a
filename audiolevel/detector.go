package audiolevel

import (
	"slices"
	"time"
)

// Input is one participant's state for Detector.Decide.
type Input struct {
	// ID identifies the participant; IDs must be unique within one call.
	// An input with an empty ID is ignored.
	ID string
	// Activity is the participant's Meter.Snapshot at the decision time.
	Activity Activity
	// Muted is the room's view (muted by themselves or a moderator); a
	// muted participant is never speaking and never dominant.
	Muted bool
}

// Decision is the outcome of one Detector.Decide.
type Decision struct {
	// Dominant is the participant to frame in blue, "" if none.
	Dominant string
	// Speaking lists who is speaking now, sorted.
	Speaking []string
	// Started and Stopped list, sorted, who began and ceased speaking since
	// the previous Decide; a speaker who left (is absent from the inputs)
	// or was muted is in Stopped.
	Started, Stopped []string
	// Changed is true when Dominant differs from the previous Decide or
	// Started or Stopped is non-empty: only then do clients need a message.
	Changed bool
}

// Detector picks the dominant speaker of a room from its participants'
// activities. It is not safe for concurrent use: the room's ticker goroutine
// owns it and calls Decide periodically.
//
// Policy: only unmuted participants with sustained speech (Activity.Speaking)
// are candidates, so bursts shorter than MinTalk never switch. With no
// dominant, or a dominant who is not speaking, the loudest candidate takes
// the frame at once. A dominant who is speaking keeps it for SwitchHold after
// taking it, and afterwards loses it only to a candidate at least Margin dB
// louder. When nobody speaks, the last dominant keeps the frame; one who
// leaves or is muted loses it.
type Detector struct {
	p        Params
	dominant string
	since    time.Time // when dominant took the frame
	speaking []string  // sorted speaking set of the last Decide
	spare    []string  // buffer for the next speaking set
	started  []string
	stopped  []string
}

// NewDetector returns a Detector using p; fields Validate rejects take
// defaults.
func NewDetector(p Params) *Detector {
	return &Detector{p: p.sanitized()}
}

// SetParams switches to p (live config reload) from the goroutine that calls
// Decide; fields Validate rejects take defaults.
func (d *Detector) SetParams(p Params) { d.p = p.sanitized() }

// Dominant returns the current dominant speaker, "" if none.
func (d *Detector) Dominant() string { return d.dominant }

// Decide updates the decision from every participant's state at now. Call
// it on a fixed tick (20 ms recommended) with all current participants.
//
// In steady state it does not allocate: the returned slices are owned by
// the Detector and are valid only until the next call to Decide; copy them
// to keep them. Empty lists are nil.
func (d *Detector) Decide(now time.Time, in []Input) Decision {
	next := d.spare[:0]
	for i := range in {
		if in[i].candidate() {
			next = append(next, in[i].ID)
		}
	}
	slices.Sort(next)
	next = slices.Compact(next)
	d.started, d.stopped = diffSorted(d.speaking, next, d.started[:0], d.stopped[:0])
	d.spare, d.speaking = d.speaking, next

	prev := d.dominant
	d.updateDominant(now, in)
	return Decision{
		Dominant: d.dominant,
		Speaking: nilIfEmpty(d.speaking),
		Started:  nilIfEmpty(d.started),
		Stopped:  nilIfEmpty(d.stopped),
		Changed:  prev != d.dominant || len(d.started) > 0 || len(d.stopped) > 0,
	}
}

// updateDominant applies the switching policy described on Detector.
func (d *Detector) updateDominant(now time.Time, in []Input) {
	cur := indexOf(in, d.dominant)
	if cur < 0 || in[cur].muted() {
		d.dominant, cur = "", -1 // left or muted: loses the frame
	}
	best := bestCandidate(in, d.dominant)
	if best < 0 {
		return // nobody (else) speaking: the last speaker keeps the frame
	}
	if cur >= 0 && in[cur].candidate() && !d.challengerWins(now, &in[best], &in[cur]) {
		return
	}
	d.dominant, d.since = in[best].ID, now
}

// challengerWins decides a contest with a dominant who is still speaking.
func (d *Detector) challengerWins(now time.Time, c, dom *Input) bool {
	if now.Sub(d.since) < d.p.SwitchHold {
		return false
	}
	return int(c.Activity.Level)+int(d.p.Margin) <= int(dom.Activity.Level)
}

func (in *Input) muted() bool { return in.Muted || in.Activity.Muted }

// candidate reports whether the input may be listed speaking and win.
func (in *Input) candidate() bool {
	return in.ID != "" && !in.muted() && in.Activity.Speaking
}

// bestCandidate returns the index of the best candidate other than exclude,
// or -1: the loudest, then the longest talk run, then the smallest ID.
func bestCandidate(in []Input, exclude string) int {
	best := -1
	for i := range in {
		if !in[i].candidate() || in[i].ID == exclude {
			continue
		}
		if best < 0 || better(&in[i], &in[best]) {
			best = i
		}
	}
	return best
}

func better(a, b *Input) bool {
	if a.Activity.Level != b.Activity.Level {
		return a.Activity.Level < b.Activity.Level
	}
	if a.Activity.TalkTime != b.Activity.TalkTime {
		return a.Activity.TalkTime > b.Activity.TalkTime
	}
	return a.ID < b.ID
}

// indexOf returns the index of the input with id, or -1 (always -1 for "").
func indexOf(in []Input, id string) int {
	if id == "" {
		return -1
	}
	for i := range in {
		if in[i].ID == id {
			return i
		}
	}
	return -1
}

// diffSorted appends to added what is in next but not prev and to removed
// what is in prev but not next; both inputs are sorted and duplicate-free.
func diffSorted(prev, next, added, removed []string) ([]string, []string) {
	i, j := 0, 0
	for i < len(prev) || j < len(next) {
		switch {
		case j == len(next) || (i < len(prev) && prev[i] < next[j]):
			removed = append(removed, prev[i])
			i++
		case i == len(prev) || next[j] < prev[i]:
			added = append(added, next[j])
			j++
		default:
			i++
			j++
		}
	}
	return added, removed
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}
