package sfu

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// callbackLeg is a memLeg that tells of its end by callback, as a
// WebRTCLeg does (AfterDone).
type callbackLeg struct {
	*memLeg
	mu     sync.Mutex
	afters []*doneFunc
	ended  bool
}

func (l *callbackLeg) AfterDone(f func()) func() bool {
	d := &doneFunc{f: f}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ended {
		go d.run()
	} else {
		l.afters = append(l.afters, d)
	}
	return d.stop
}

func (l *callbackLeg) Hangup(ctx context.Context, r Reason) error {
	_ = l.memLeg.Hangup(ctx, r)
	l.mu.Lock()
	afters := l.afters
	l.afters, l.ended = nil, true
	l.mu.Unlock()
	for _, d := range afters {
		go d.run()
	}
	return nil
}

// connectedObserver is a conference caller's UI: it notes Connected.
type connectedObserver struct {
	confObserver
	connected chan struct{}
}

func (o *connectedObserver) Ringing(string) {}
func (o *connectedObserver) Connected(string, Identity, bool, time.Time) {
	o.connected <- struct{}{}
}

// callGoroutines counts goroutines whose stack is in call control's own
// code for a conference call.
func callGoroutines() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "sfu.(*Calls).runConference") || strings.Contains(g, "sfu.AfterDone") {
			n++
		}
	}
	return n
}

// placeIntoRoom has leg call room 800 and waits until it is in.
func placeIntoRoom(t *testing.T, calls *Calls, rooms *Conferences, leg Leg) {
	t.Helper()
	obs := &connectedObserver{connected: make(chan struct{}, 1)}
	if _, err := calls.Place(PlaceRequest{Caller: leg, To: "800", Observer: obs}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-obs.connected:
	case <-time.After(5 * time.Second):
		t.Fatal("never connected to the room")
	}
	if rooms.Of(leg) == nil {
		t.Fatal("connected but not in the room")
	}
}

// A participant in a room costs call control no goroutine: the call ends
// by callback when the leg ends (and the room is left), or when the
// server stops (the leg hung up with "server restart"). A leg without
// callbacks still works through a watcher goroutine.
func TestConferenceCallEndsByCallback(t *testing.T) {
	for _, tc := range []struct {
		name       string
		leg        func() Leg
		byClose    bool
		goroutines int // call control's goroutines while in the room
	}{
		{"leg hangs up", func() Leg { return &callbackLeg{memLeg: newMemLeg("1002")} }, false, 0},
		{"server stops", func() Leg { return &callbackLeg{memLeg: newMemLeg("1002")} }, true, 0},
		{"leg without callbacks", func() Leg { return newMemLeg("1002") }, false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rooms := meetingRooms(t, VideoNone, MeetingPolicy{}, RecordingConfig{})
			calls := NewCalls(CallsConfig{Rooms: rooms}, testLogger())
			closed := false
			defer func() {
				if !closed {
					calls.Close()
				}
			}()
			leg := tc.leg()
			placeIntoRoom(t, calls, rooms, leg)
			eventually(t, 2*time.Second, "the call's set-up goroutine to end", func() bool {
				return callGoroutines() == tc.goroutines
			})
			want := ReasonHangup
			if tc.byClose {
				calls.Close()
				closed = true
				want = ReasonServerRestart
			} else {
				_ = leg.Hangup(context.Background(), ReasonHangup)
			}
			eventually(t, 2*time.Second, "the room to be left", func() bool { return rooms.Of(leg) == nil })
			if got := leg.EndReason(); got != want {
				t.Fatalf("leg ended with %q, want %q", got, want)
			}
			eventually(t, 2*time.Second, "the call to end", func() bool { return activeCalls(calls) == 0 })
		})
	}
}

func activeCalls(c *Calls) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.active)
}
