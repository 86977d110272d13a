package sfu

import (
	"context"
	"errors"
)

// nopConferenceObserver serves callers whose UI shows no conference view.
type nopConferenceObserver struct{}

func (nopConferenceObserver) Joined(string, RoomSpec, string)   {}
func (nopConferenceObserver) Roster(string, []Member)           {}
func (nopConferenceObserver) Speakers(string, string, []string) {}
func (nopConferenceObserver) VideoSlots(string, []Slot)         {}

// runConference is a call into a conference room: join, stay until the
// caller leaves or the server stops, leave.
func (c *Calls) runConference(id string, req PlaceRequest) {
	log := c.log.With("call", id, "ext", req.Caller.Identity().Number, "room", req.To)
	obs, ok := req.Observer.(ConferenceObserver)
	if !ok {
		obs = nopConferenceObserver{}
	}
	started := c.cfg.Now()
	rec := CallRecord{CallID: id, Caller: req.Caller.Identity(), Origin: req.Caller.Origin(), To: req.To, Room: true,
		Video: req.Video, Transferor: req.transferor, Started: started}
	defer func() { rec.Ended = c.cfg.Now(); c.record(rec) }()
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
		return
	}
	spec := conf.spec
	rec.Callee, rec.Answered = Identity{Number: spec.Number, Name: spec.Name}, c.cfg.Now()
	req.Observer.Connected(id, rec.Callee, spec.Video != VideoNone, rec.Answered)
	select {
	case <-req.Caller.Done():
	case <-c.ctx.Done():
	}
	c.cfg.Rooms.Leave(conf, req.Caller)
	reason := ReasonHangup
	if c.ctx.Err() != nil {
		reason = ReasonServerRestart
	}
	_ = req.Caller.Hangup(context.Background(), reason)
}

// Conference is the room leg is in, or nil: the web layer passes meeting
// requests (chat, hands, moderation, recording) to it.
func (c *Calls) Conference(leg Leg) *Conference {
	if c.cfg.Rooms == nil {
		return nil
	}
	return c.cfg.Rooms.Of(leg)
}
