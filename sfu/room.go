package sfu

import (
	"log/slog"
	"slices"
	"sync"
)

// Room holds the legs of one call and forwards media between them. A 1:1
// call is a room of two legs: each leg's up tracks feed the other leg's down
// tracks of the same kind and codec, unless a party holds the call: then
// nothing flows between them and whoever is held hears music.
type Room struct {
	id  string
	log *slog.Logger
	moh *MusicOnHold // nil: held parties hear silence

	mu    sync.Mutex // guards legs and holds; held only to copy or change them
	legs  []Leg
	holds map[Leg]bool // legs that put the call on hold

	wire sync.Mutex // serialises rewiring; never held across I/O
}

// NewRoom returns an empty room.
func NewRoom(id string, moh *MusicOnHold, log *slog.Logger) *Room {
	return &Room{id: id, moh: moh, log: log.With("room", id), holds: map[Leg]bool{}}
}

// ID identifies the room.
func (r *Room) ID() string { return r.id }

// Legs returns a snapshot of the members.
func (r *Room) Legs() []Leg {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.legs)
}

// Join adds leg, connects its media with every other member and relays
// the keys its party presses to the others.
func (r *Room) Join(leg Leg) {
	r.mu.Lock()
	r.legs = append(r.legs, leg)
	n := len(r.legs)
	r.mu.Unlock()
	for _, up := range leg.Ups() {
		if up.Kind() == Audio {
			up.OnDTMF(func(d rune) { r.relayDTMF(leg, d) })
		}
	}
	r.rewire()
	r.log.Info("leg joined", "leg", leg.ID(), "ext", leg.Identity().Number, "members", n)
}

// Leave removes leg and stops all forwarding to and from it.
func (r *Room) Leave(leg Leg) {
	r.mu.Lock()
	i := slices.Index(r.legs, leg)
	if i < 0 {
		r.mu.Unlock()
		return
	}
	r.legs = slices.Delete(r.legs, i, i+1)
	delete(r.holds, leg)
	others := slices.Clone(r.legs)
	r.mu.Unlock()
	r.wire.Lock()
	for _, other := range others {
		disconnect(other, leg)
		disconnect(leg, other)
	}
	r.stopMusic(leg)
	r.wire.Unlock()
	r.rewire()
	r.log.Info("leg left", "leg", leg.ID(), "members", len(others))
}

// SetHold records that leg holds (or resumes) the call and rewires.
func (r *Room) SetHold(leg Leg, on bool) {
	r.mu.Lock()
	if on {
		r.holds[leg] = true
	} else {
		delete(r.holds, leg)
	}
	r.mu.Unlock()
	r.rewire()
}

// HoldState reports whether leg holds the call and whether another member
// holds it.
func (r *Room) HoldState(leg Leg) (local, remote bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for l, on := range r.holds {
		if on && l == leg {
			local = true
		} else if on {
			remote = true
		}
	}
	return local, remote
}

// rewire makes forwarding match membership and holds: media flows between
// two legs only when neither holds; a leg held by another hears music.
func (r *Room) rewire() {
	r.wire.Lock()
	defer r.wire.Unlock()
	r.mu.Lock()
	legs := slices.Clone(r.legs)
	holds := make(map[Leg]bool, len(r.holds))
	for l, on := range r.holds {
		holds[l] = on
	}
	r.mu.Unlock()
	for _, to := range legs {
		heldByOther := false
		for _, from := range legs {
			if from == to {
				continue
			}
			heldByOther = heldByOther || holds[from]
			if holds[from] || holds[to] {
				disconnect(from, to)
			}
		}
		if heldByOther {
			r.playMusic(to)
			continue
		}
		r.stopMusic(to)
		for _, from := range legs {
			if from != to && !holds[from] && !holds[to] {
				connect(from, to)
			}
		}
	}
}

// Tick measures the video layers of the room's legs and moves receivers to
// the best layer that is flowing; the call's goroutine runs it once a
// second (browsers add and drop simulcast layers as bandwidth changes).
func (r *Room) Tick(seconds float64) {
	for _, l := range r.Legs() {
		for _, u := range videoLayers(l) {
			u.measure(seconds)
		}
	}
	r.rewire()
}

// playMusic points leg's audio at the music on hold.
func (r *Room) playMusic(leg Leg) {
	down := firstDown(leg, Audio)
	if down == nil || r.moh == nil {
		return
	}
	music := r.moh.Track()
	music.Subscribe(down)
	down.SetSource(music)
}

func (r *Room) stopMusic(leg Leg) {
	down := firstDown(leg, Audio)
	if down == nil || r.moh == nil {
		return
	}
	music := r.moh.Track()
	music.Unsubscribe(down)
	if down.Source() == music {
		down.SetSource(nil)
	}
}

// relayDTMF passes a key pressed on from to every other member.
func (r *Room) relayDTMF(from Leg, digit rune) {
	for _, l := range r.Legs() {
		if l != from {
			l.SendDTMF(digit)
		}
	}
}

// connect feeds from's up tracks into to's down tracks of the same kind:
// for video the highest simulcast layer that is flowing.
func connect(from, to Leg) {
	for _, down := range to.Downs() {
		var best *UpTrack
		if down.Kind() == Video {
			best = pickLayer(videoLayers(from), 1<<30, 0)
			if best != nil && !decodable(down, best) {
				continue // another codec: the receiver could not show it
			}
		} else {
			for _, up := range from.Ups() {
				if up.Kind() == Audio && up.MimeType() == down.MimeType() {
					best = up
					break
				}
			}
		}
		if best == nil {
			continue
		}
		if cur := down.Source(); cur != nil && cur != best && slices.Contains(from.Ups(), cur) {
			cur.Unsubscribe(down)
		}
		best.Subscribe(down)
		down.SetSource(best)
	}
}

// disconnect stops every forwarding from from's up tracks to to.
func disconnect(from, to Leg) {
	for _, up := range from.Ups() {
		for _, down := range to.Downs() {
			up.Unsubscribe(down)
			if down.Source() == up {
				down.SetSource(nil)
			}
		}
	}
}
