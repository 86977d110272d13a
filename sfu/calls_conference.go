package sfu

import (
	"context"
	"errors"
	"sync"
)

// nopConferenceObserver serves callers whose UI shows no conference view.
type nopConferenceObserver struct{}

func (nopConferenceObserver) Joined(string, RoomSpec, string)   {}
func (nopConferenceObserver) Roster(string, []Member)           {}
func (nopConferenceObserver) Speakers(string, string, []string) {}
func (nopConferenceObserver) VideoSlots(string, []Slot)         {}

// runConference is a call into a conference room: join, stay until the
// caller leaves or the server stops, leave. It ends cl and takes it off
// c.wg when the call is over; while the caller is in the room, no
// goroutine waits for that (stayInRoom).
func (c *Calls) runConference(cl *call, req PlaceRequest) {
	id := cl.id
	log := c.log.With("call", id, "ext", req.Caller.Identity().Number, "room", req.To)
	obs, ok := req.Observer.(ConferenceObserver)
	if !ok {
		obs = nopConferenceObserver{}
	}
	started := c.cfg.Now()
	rec := CallRecord{CallID: id, Caller: req.Caller.Identity(), Origin: req.Caller.Origin(), To: req.To, Room: true,
		Video: req.Video, Transferor: req.transferor, Started: started}
	over := func() {
		rec.Ended = c.cfg.Now()
		c.record(rec)
		c.end(cl)
		c.wg.Done()
	}
	conf, err := c.cfg.Rooms.Join(c.ctx, req.To, req.PIN, id, req.Caller, obs)
	if err != nil {
		reason := ReasonFor(err)
		switch {
		case errors.Is(err, ErrRoomFull):
			reason = ReasonRoomFull
		case errors.Is(err, ErrPINRequired):
			reason = ReasonPINRequired
		case errors.Is(err, ErrWrongPIN):
			reason = ReasonWrongPIN
		case errors.Is(err, ErrRoomLocked):
			reason = ReasonRoomLocked
		}
		rec.Reason = reason
		log.Info("conference join failed", "reason", string(reason), "err", err)
		_ = req.Caller.Hangup(context.Background(), reason)
		over()
		return
	}
	spec := conf.spec
	rec.Callee, rec.Answered = Identity{Number: spec.Number, Name: spec.Name}, c.cfg.Now()
	req.Observer.Connected(id, rec.Callee, spec.Video != VideoNone, rec.Answered)
	c.stayInRoom(conf, req.Caller, over)
}

// stayInRoom leaves conf when leg ends or the server stops, then calls
// over: callbacks on both (AfterDone, context.AfterFunc), the first to
// fire does it and unregisters the other, instead of a goroutine per
// participant blocked until then.
func (c *Calls) stayInRoom(conf *Conference, leg Leg, over func()) {
	s := &roomStay{}
	leave := func() {
		if !s.leave() {
			return
		}
		c.cfg.Rooms.Leave(conf, leg)
		reason := ReasonHangup
		if c.ctx.Err() != nil {
			reason = ReasonServerRestart
		}
		_ = leg.Hangup(context.Background(), reason)
		over()
	}
	s.add(AfterDone(leg, leave))
	s.add(context.AfterFunc(c.ctx, leave))
}

// roomStay lets the first of a participant's end callbacks leave the
// room and stops the others, even one registered after it fired.
type roomStay struct {
	mu    sync.Mutex
	left  bool
	stops []func() bool
}

// leave reports whether this is the first call, and stops the callbacks.
func (s *roomStay) leave() bool {
	s.mu.Lock()
	if s.left {
		s.mu.Unlock()
		return false
	}
	s.left = true
	stops := s.stops
	s.stops = nil
	s.mu.Unlock()
	for _, stop := range stops {
		stop()
	}
	return true
}

func (s *roomStay) add(stop func() bool) {
	s.mu.Lock()
	if s.left {
		s.mu.Unlock()
		stop()
		return
	}
	s.stops = append(s.stops, stop)
	s.mu.Unlock()
}

// Conference is the room leg is in, or nil: the web layer passes meeting
// requests (chat, hands, moderation, recording) to it.
func (c *Calls) Conference(leg Leg) *Conference {
	if c.cfg.Rooms == nil {
		return nil
	}
	return c.cfg.Rooms.Of(leg)
}
