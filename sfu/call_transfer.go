package sfu

import (
	"context"
	"errors"
	"time"
)

// Transfer blindly transfers the party from talks to onto number to: from
// leaves at once, the other party is dialled through to the new number
// (seeing its progress), and keeps their leg. The transfer is decided by
// Permit from facts — the other party's origin and from's origin — so
// nobody reaches through someone else's permissions. A conference room is
// a target only for a trunk's REFER (the browser UI keeps transfers out of
// conferences, F24): the party then leaves this call and joins the room.
// It returns once from has left: the dial (which may ring for long) goes
// on on the call's goroutine, so no caller is held up by it.
func (c *Calls) Transfer(callID string, from Leg, to string) error {
	cl := c.lookup(callID)
	if cl == nil {
		return ErrNotInCall
	}
	room := c.cfg.Rooms != nil && c.cfg.Rooms.Reaches(to)
	if room && from.Origin().Kind != OriginTrunk {
		return ErrForbidden
	}
	var dialer Dialer
	if !room {
		if dialer = c.route(to); dialer == nil {
			return ErrNotFound
		}
	}
	return cl.doThen(func() (func(), error) {
		stay := cl.other(from)
		if !cl.has(from) || stay == nil {
			return nil, ErrNotInCall
		}
		if err := c.permit(DialRequest{CallID: cl.id, From: stay.Identity(), To: to, Origin: stay.Origin(),
			Transferor: from.Identity(), TransferredBy: from.Origin()}); err != nil {
			return nil, err
		}
		if room {
			cl.transferToRoomLocked(from, to)
			return nil, nil
		}
		cl.leaveForTransfer(from, to)
		return func() { cl.dialForTransfer(stay, from, to, dialer) }, nil
	})
}

// permit asks the configured Permit (the toll-fraud gate) about req.
func (c *Calls) permit(req DialRequest) error {
	if c.cfg.Permit == nil {
		return nil
	}
	if err := c.cfg.Permit(req); err != nil {
		return errors.Join(ErrForbidden, err)
	}
	return nil
}

// leaveForTransfer runs on the call goroutine: from leaves, the other party
// is told it is being put through.
func (cl *call) leaveForTransfer(from Leg, to string) {
	stay := cl.other(from)
	cl.log.Info("blind transfer", "from", from.Identity().Number, "party", stay.Identity().Number, "to", to)
	cl.remove(from)
	cl.calls.unreserve(cl, from.Identity().Number)
	_ = from.Hangup(context.Background(), ReasonTransferred)
	cl.room.SetHold(stay, false)
	p := cl.parties[stay]
	if t, ok := p.obs.(TransferObserver); ok {
		t.Transferring(p.callID, to, from.Identity())
	}
}

// dialForTransfer runs on the call goroutine after the transferor's request
// returned: dial on behalf of the party that stays.
func (cl *call) dialForTransfer(stay, from Leg, to string, dialer Dialer) {
	p := cl.parties[stay]
	req := PlaceRequest{Caller: stay, To: to, Video: hasVideo(stay), Observer: renamed{p.obs, p.callID},
		transferor: from.Identity(), transferredBy: from.Origin()}
	started := cl.calls.cfg.Now()
	leg, err := cl.calls.dial(cl, req, dialer)
	if err != nil {
		if errors.Is(err, ErrHandedOver) {
			cl.log.Info("blind transfer handed over to the far end", "to", to)
		} else {
			cl.log.Info("transfer failed", "reason", string(ReasonFor(err)), "err", err)
			cl.calls.failedDial(cl, req, started, err)
		}
		cl.remove(stay)
		_ = stay.Hangup(context.Background(), ReasonFor(err))
		return
	}
	now := cl.calls.cfg.Now()
	cl.answered(req, leg, started, now)
	cl.join(leg, party{obs: observerOf(leg), callID: cl.id})
	cl.tellHold()
	p.obs.Connected(p.callID, leg.Identity(), hasVideo(stay) && hasVideo(leg), now)
	cl.tellCameraOf(leg)
}

// transferToRoomLocked moves the other party of from into conference
// room (a trunk's REFER to a room number): from leaves, this 1:1 call
// ends without hanging the party up, and a conference call takes the
// party's leg over, reporting to its observer under the id it knows.
func (cl *call) transferToRoomLocked(from Leg, room string) {
	stay := cl.other(from)
	cl.log.Info("transfer into a conference", "from", from.Identity().Number, "party", stay.Identity().Number, "room", room)
	cl.remove(from)
	cl.calls.unreserve(cl, from.Identity().Number)
	_ = from.Hangup(context.Background(), ReasonTransferred)
	p := cl.parties[stay]
	if t, ok := p.obs.(TransferObserver); ok {
		t.Transferring(p.callID, room, from.Identity())
	}
	cl.remove(stay)
	cl.calls.unreserve(cl, stay.Identity().Number)
	cl.detached = true
	req := PlaceRequest{Caller: stay, To: room, Video: hasVideo(stay), Observer: renamedObserver(p.obs, p.callID)}
	if _, err := cl.calls.Place(req); err != nil {
		_ = stay.Hangup(context.Background(), ReasonFor(err))
	}
}

// renamed reports progress under the call id its observer knows.
type renamed struct {
	CallObserver
	id string
}

func (r renamed) Ringing(string) { r.CallObserver.Ringing(r.id) }

func (r renamed) Connected(_ string, peer Identity, video bool, since time.Time) {
	r.CallObserver.Connected(r.id, peer, video, since)
}

// renamedConference is renamed for an observer that also shows
// conferences.
type renamedConference struct {
	renamed
	conf ConferenceObserver
}

func (r renamedConference) Joined(_ string, room RoomSpec, self string) {
	r.conf.Joined(r.id, room, self)
}
func (r renamedConference) Roster(_ string, members []Member) { r.conf.Roster(r.id, members) }
func (r renamedConference) Speakers(_, dominant string, speaking []string) {
	r.conf.Speakers(r.id, dominant, speaking)
}
func (r renamedConference) VideoSlots(_ string, slots []Slot) { r.conf.VideoSlots(r.id, slots) }

// renamedObserver renames obs's call id, keeping its conference view.
func renamedObserver(obs CallObserver, id string) CallObserver {
	if conf, ok := obs.(ConferenceObserver); ok {
		return renamedConference{renamed{obs, id}, conf}
	}
	return renamed{obs, id}
}

// CompleteTransfer is an attended transfer: from holds call heldID with one
// party and talks in consultID with another; the two parties are joined in
// the held call and both of from's legs leave.
func (c *Calls) CompleteTransfer(heldID string, fromHeld Leg, consultID string, fromConsult Leg) error {
	held, consult := c.lookup(heldID), c.lookup(consultID)
	if held == nil || consult == nil || held == consult {
		return ErrNotInCall
	}
	if c.handOverAttended(held, fromHeld, consult, fromConsult) {
		return nil
	}
	var target Leg
	var targetParty party
	stay, err := held.partyOf(fromHeld)
	if err != nil {
		return err
	}
	err = consult.do(func() error {
		if !consult.has(fromConsult) || len(consult.legs) != 2 {
			return ErrNotInCall
		}
		target = consult.other(fromConsult)
		if err := c.permitJoin(stay, target, fromHeld.Origin()); err != nil {
			return err
		}
		targetParty = consult.parties[target]
		consult.remove(target)
		consult.remove(fromConsult)
		consult.calls.unreserve(consult, target.Identity().Number)
		consult.detached = true
		return nil
	})
	if err != nil {
		return err
	}
	_ = fromConsult.Hangup(context.Background(), ReasonTransferred)
	return held.do(func() error { return held.adopt(fromHeld, target, targetParty) })
}

// partyOf is the leg from talks to in cl.
func (cl *call) partyOf(from Leg) (Leg, error) {
	var other Leg
	err := cl.do(func() error {
		if other = cl.other(from); other == nil || !cl.has(from) {
			return ErrNotInCall
		}
		return nil
	})
	return other, err
}

// permitJoin asks Permit whether joining a and b (an attended transfer
// by a leg of origin by) may connect a party to an outside call: each leg
// Xphone dialled out through a trunk is an exit the other party would
// reach, decided like a blind transfer to its number.
func (c *Calls) permitJoin(a, b Leg, by Origin) error {
	for _, pair := range [][2]Leg{{a, b}, {b, a}} {
		party, exit := pair[0], pair[1]
		if o := exit.Origin(); o.Kind != OriginTrunk || !o.Dialled {
			continue
		}
		err := c.permit(DialRequest{From: party.Identity(), To: exit.Identity().Number, Origin: party.Origin(), TransferredBy: by})
		if err != nil {
			return err
		}
	}
	return nil
}

// adopt replaces from with target in this call (attended transfer).
func (cl *call) adopt(from, target Leg, tp party) error {
	if !cl.has(from) {
		_ = target.Hangup(context.Background(), ReasonHangup)
		return ErrNotInCall
	}
	stay := cl.other(from)
	cl.log.Info("attended transfer", "from", from.Identity().Number, "joins", stay.Identity().Number, "with", target.Identity().Number)
	cl.remove(from)
	cl.calls.unreserve(cl, from.Identity().Number)
	cl.calls.reserve(cl, target.Identity().Number)
	_ = from.Hangup(context.Background(), ReasonTransferred)
	cl.room.SetHold(stay, false)
	cl.add(target, tp)
	cl.tellHold()
	now := cl.calls.cfg.Now()
	sp := cl.parties[stay]
	sp.obs.Connected(sp.callID, target.Identity(), hasVideo(stay) && hasVideo(target), now)
	tp.obs.Connected(tp.callID, stay.Identity(), hasVideo(stay) && hasVideo(target), now)
	cl.tellCameraOf(target)
	cl.tellCameraOf(stay)
	return nil
}

// handOverTimeout bounds how long an attended transfer waits for the far
// end to join the parties itself before call control does it.
const handOverTimeout = 10 * time.Second

// handOverAttended lets the far end join the other parties of both calls
// when it can (both are Replacer legs of one PBX): then all four legs end
// as transferred and nothing runs through the server. It reports whether
// that happened.
func (c *Calls) handOverAttended(held *call, fromHeld Leg, consult *call, fromConsult Leg) bool {
	var stay, target Leg
	other := func(cl *call, from Leg, out *Leg) error {
		return cl.do(func() error {
			if !cl.has(from) || len(cl.legs) != 2 {
				return ErrNotInCall
			}
			*out = cl.other(from)
			return nil
		})
	}
	if other(held, fromHeld, &stay) != nil || other(consult, fromConsult, &target) != nil {
		return false
	}
	r, ok := stay.(Replacer)
	if !ok {
		return false
	}
	ctx, cancel := context.WithTimeout(c.ctx, handOverTimeout)
	defer cancel()
	if err := r.Replace(ctx, target); err != nil {
		held.log.Info("attended transfer not handed over; joining the parties here", "err", err)
		return false
	}
	held.log.Info("attended transfer handed over to the far end", "party", stay.Identity().Number, "with", target.Identity().Number)
	hangupAll(ReasonTransferred, fromHeld, fromConsult, stay, target)
	return true
}
