package sfu

import (
	"slices"
	"strings"
	"sync"
	"time"
)

// PresenceState is what a directory shows for a number.
type PresenceState string

// Presence states. They are part of the signalling protocol.
const (
	PresenceAvailable PresenceState = "available" // idle: can be called
	PresenceOnCall    PresenceState = "on_call"   // in a call (or holding one)
	PresenceRinging   PresenceState = "ringing"   // being rung
	PresenceDND       PresenceState = "dnd"       // refuses calls (do-not-disturb)
	PresenceOffline   PresenceState = "offline"   // not reachable or not watched successfully
)

// Presence is one number's state.
type Presence struct {
	Number string        `json:"number"`
	State  PresenceState `json:"state"`
	Since  time.Time     `json:"since"`
}

// PresenceBoard holds the presence of watched numbers (PBX phones a SIP
// trunk subscribes to, later anything else) and tells its subscribers
// every change. Sources call Set; a directory (web tabs, the status page)
// reads Snapshot and Subscribes. Safe for concurrent use; subscribers are
// called without the lock held and must not block.
type PresenceBoard struct {
	mu     sync.Mutex
	states map[string]Presence
	subs   map[int]func(Presence)
	next   int
	now    func() time.Time
}

// NewPresenceBoard returns an empty board; now may be nil (time.Now).
func NewPresenceBoard(now func() time.Time) *PresenceBoard {
	if now == nil {
		now = time.Now
	}
	return &PresenceBoard{states: map[string]Presence{}, subs: map[int]func(Presence){}, now: now}
}

// Set records number's state; subscribers hear it if it changed.
func (b *PresenceBoard) Set(number string, state PresenceState) {
	b.mu.Lock()
	if cur, ok := b.states[number]; ok && cur.State == state {
		b.mu.Unlock()
		return
	}
	p := Presence{Number: number, State: state, Since: b.now()}
	b.states[number] = p
	subs := make([]func(Presence), 0, len(b.subs))
	for _, f := range b.subs {
		subs = append(subs, f)
	}
	b.mu.Unlock()
	for _, f := range subs {
		f(p)
	}
}

// Forget stops showing number (no longer watched).
func (b *PresenceBoard) Forget(number string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.states, number)
}

// Snapshot is every number's state, ordered by number.
func (b *PresenceBoard) Snapshot() []Presence {
	b.mu.Lock()
	out := make([]Presence, 0, len(b.states))
	for _, p := range b.states {
		out = append(out, p)
	}
	b.mu.Unlock()
	slices.SortFunc(out, func(a, c Presence) int { return strings.Compare(a.Number, c.Number) })
	return out
}

// Subscribe calls f with every change until the returned function is called.
func (b *PresenceBoard) Subscribe(f func(Presence)) (unsubscribe func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	id := b.next
	b.next++
	b.subs[id] = f
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		delete(b.subs, id)
	}
}
