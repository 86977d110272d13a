package sfu

import (
	"log/slog"
	"slices"
	"sync"
)

// Room holds the legs of one call and forwards media between them. A 1:1
// call is a room of two legs: each leg's up tracks feed the other leg's down
// tracks of the same kind and codec.
type Room struct {
	id  string
	log *slog.Logger

	mu   sync.Mutex // guards legs; held only to copy or change membership
	legs []Leg
}

// NewRoom returns an empty room.
func NewRoom(id string, log *slog.Logger) *Room {
	return &Room{id: id, log: log.With("room", id)}
}

// ID identifies the room.
func (r *Room) ID() string { return r.id }

// Legs returns a snapshot of the members.
func (r *Room) Legs() []Leg {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.legs)
}

// Join adds leg and connects its media with every other member.
func (r *Room) Join(leg Leg) {
	r.mu.Lock()
	others := slices.Clone(r.legs)
	r.legs = append(r.legs, leg)
	r.mu.Unlock()
	for _, other := range others {
		connect(other, leg)
		connect(leg, other)
	}
	r.log.Info("leg joined", "leg", leg.ID(), "ext", leg.Identity().Number, "members", len(others)+1)
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
	others := slices.Clone(r.legs)
	r.mu.Unlock()
	for _, other := range others {
		disconnect(other, leg)
		disconnect(leg, other)
	}
	r.log.Info("leg left", "leg", leg.ID(), "members", len(others))
}

// connect feeds from's up tracks into to's down tracks of the same kind.
func connect(from, to Leg) {
	for _, down := range to.Downs() {
		for _, up := range from.Ups() {
			if up.Kind() == down.Kind() && up.MimeType() == down.MimeType() {
				down.SetSource(up)
				up.Subscribe(down)
				break
			}
		}
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
