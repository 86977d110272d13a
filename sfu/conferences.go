package sfu

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
)

// Conferences holds the configured rooms and the live ones. A room comes
// alive with its first participant and closes after the last one leaves.
type Conferences struct {
	cfg ConferenceConfig
	log *slog.Logger

	mu    sync.Mutex // guards specs and live; never held across a conference call
	specs map[string]RoomSpec
	live  map[string]*liveRoom
	of    map[Leg]*Conference                   // who is in which room, for meeting requests
	watch atomic.Pointer[func(number string)]   // see SetWatcher (roomwatch.go)
	more  atomic.Pointer[[]func(number string)] // see AddWatcher (roomwatch.go)
}

type liveRoom struct {
	conf *Conference
	refs int
}

// NewConferences returns the rooms of specs.
func NewConferences(specs []RoomSpec, cfg ConferenceConfig, log *slog.Logger) *Conferences {
	cs := &Conferences{cfg: cfg, log: log, specs: map[string]RoomSpec{}, live: map[string]*liveRoom{},
		of: map[Leg]*Conference{}}
	for _, s := range specs {
		cs.specs[s.Number] = s
	}
	return cs
}

// Reaches reports whether number is a conference room.
func (cs *Conferences) Reaches(number string) bool {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	_, ok := cs.specs[number]
	return ok
}

// Spec returns the configuration of room number.
func (cs *Conferences) Spec(number string) (RoomSpec, bool) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	s, ok := cs.specs[number]
	return s, ok
}

// Join puts leg into room number, starting the room if needed. A room
// with a PIN needs it.
func (cs *Conferences) Join(ctx context.Context, number, pin, callID string, leg Leg, obs ConferenceObserver) (*Conference, error) {
	if spec, ok := cs.Spec(number); ok && spec.PIN != "" && pin != spec.PIN {
		if pin == "" {
			return nil, ErrPINRequired
		}
		return nil, ErrWrongPIN
	}
	conf, err := cs.acquire(number)
	if err != nil {
		return nil, err
	}
	var joinErr error
	if err := conf.do(ctx, func() { joinErr = conf.joinOnLoop(callID, leg, obs) }); err != nil {
		joinErr = err
	}
	if joinErr != nil {
		cs.release(number, conf)
		cs.changed(number)
		return nil, joinErr
	}
	cs.mu.Lock()
	cs.of[leg] = conf
	cs.mu.Unlock()
	cs.changed(number)
	return conf, nil
}

// Of is the room leg is in, or nil.
func (cs *Conferences) Of(leg Leg) *Conference {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.of[leg]
}

// Leave takes leg out of its room and closes the room when it is empty.
func (cs *Conferences) Leave(conf *Conference, leg Leg) {
	cs.mu.Lock()
	if cs.of[leg] == conf {
		delete(cs.of, leg)
	}
	cs.mu.Unlock()
	_ = conf.do(context.Background(), func() { conf.leaveOnLoop(leg) })
	cs.release(conf.spec.Number, conf)
	cs.changed(conf.spec.Number)
}

func (cs *Conferences) acquire(number string) (*Conference, error) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	spec, ok := cs.specs[number]
	if !ok {
		return nil, ErrNotFound
	}
	lr := cs.live[number]
	if lr == nil {
		conf, err := newConference(spec, cs.cfg, cs.log)
		if err != nil {
			return nil, err
		}
		lr = &liveRoom{conf: conf}
		cs.live[number] = lr
	}
	lr.refs++
	return lr.conf, nil
}

func (cs *Conferences) release(number string, conf *Conference) {
	cs.mu.Lock()
	lr := cs.live[number]
	if lr == nil || lr.conf != conf {
		cs.mu.Unlock()
		return
	}
	lr.refs--
	last := lr.refs == 0
	if last {
		delete(cs.live, number)
	}
	cs.mu.Unlock()
	if last {
		conf.close()
		cs.log.Info("conference closed", "room", number)
	}
}

// Live is the number of rooms with participants.
func (cs *Conferences) Live() int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return len(cs.live)
}
