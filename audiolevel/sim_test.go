package audiolevel

import (
	"testing"
	"time"
)

// noPacket in a script means the participant sent nothing that tick (DTX,
// a muted browser, a stalled network).
const noPacket = 255

const frame = 20 * time.Millisecond

var t0 = time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)

// script gives a participant's packet level for the 20 ms frame ending at
// offset at, or noPacket.
type script func(at time.Duration) uint8

// talk is a script speaking at level during [from, to) and silent (127)
// otherwise. A frame counts as speech if it overlaps the interval at all.
func talk(level uint8, from, to time.Duration) script {
	return func(at time.Duration) uint8 {
		if at > from && at-frame < to {
			return level
		}
		return Silence
	}
}

// seq plays the first script that returns speech, else the last one's value.
func seq(parts ...script) script {
	return func(at time.Duration) uint8 {
		var v uint8 = Silence
		for _, p := range parts {
			if v = p(at); v != Silence {
				return v
			}
		}
		return v
	}
}

// until sends packets from s until to, nothing after.
func until(s script, to time.Duration) script {
	return func(at time.Duration) uint8 {
		if at > to {
			return noPacket
		}
		return s(at)
	}
}

// room drives meters and a detector on a simulated 20 ms clock: each tick
// every present participant's packet is observed, then Decide runs.
type room struct {
	t      testing.TB
	det    *Detector
	ids    []string
	meters []*Meter
	play   []script
	absent []bool
	muted  []bool
	in     []Input
	at     time.Duration
}

func newRoom(t testing.TB, p Params, ids ...string) *room {
	r := &room{t: t, det: NewDetector(p), ids: ids}
	for range ids {
		r.meters = append(r.meters, NewMeter(p))
		r.play = append(r.play, talk(Silence, 0, 0))
	}
	r.absent = make([]bool, len(ids))
	r.muted = make([]bool, len(ids))
	return r
}

func (r *room) idx(id string) int {
	for i, x := range r.ids {
		if x == id {
			return i
		}
	}
	r.t.Fatalf("no participant %q", id)
	return -1
}

func (r *room) script(id string, s script) { r.play[r.idx(id)] = s }

// tick advances 20 ms and returns the decision at the new time.
func (r *room) tick() Decision {
	r.at += frame
	now := t0.Add(r.at)
	r.in = r.in[:0]
	for i, m := range r.meters {
		if r.absent[i] {
			continue
		}
		if lvl := r.play[i](r.at); lvl != noPacket {
			m.Observe(lvl, lvl < Silence, frame, now)
		}
		r.in = append(r.in, Input{ID: r.ids[i], Activity: m.Snapshot(now), Muted: r.muted[i]})
	}
	return r.det.Decide(now, r.in)
}

// event is a dominant change observed by runUntil.
type event struct {
	at       time.Duration
	dominant string
}

// runUntil ticks until offset to and returns every dominant change.
func (r *room) runUntil(to time.Duration) []event {
	var evs []event
	prev := r.det.Dominant()
	for r.at < to {
		d := r.tick()
		if d.Dominant != prev {
			evs = append(evs, event{r.at, d.Dominant})
			prev = d.Dominant
		}
	}
	return evs
}

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }
