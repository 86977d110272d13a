package sfu

import (
	"context"
	"errors"
	"time"
)

// Transfer blindly transfers the party from talks to onto number to: from
// leaves at once, the other party is dialled through to the new number
// (seeing its progress), and keeps their leg. A target the transferor may
// not dial, or a conference room, is refused.
func (c *Calls) Transfer(callID string, from Leg, to string) error {
	cl := c.lookup(callID)
	if cl == nil {
		return ErrNotInCall
	}
	if c.cfg.Rooms != nil && c.cfg.Rooms.Reaches(to) {
		return ErrForbidden
	}
	dialer := c.route(to)
	if dialer == nil {
		return ErrNotFound
	}
	if c.cfg.Permit != nil {
		if err := c.cfg.Permit(from.Identity(), to); err != nil {
			return errors.Join(ErrForbidden, err)
		}
	}
	return cl.do(func() error {
		if !cl.has(from) {
			return ErrNotInCall
		}
		cl.transferLocked(from, to, dialer)
		return nil
	})
}

// transferLocked runs on the call goroutine: drop from, dial on behalf of
// the other party.
func (cl *call) transferLocked(from Leg, to string, dialer Dialer) {
	stay := cl.other(from)
	cl.log.Info("blind transfer", "from", from.Identity().Number, "party", stay.Identity().Number, "to", to)
	cl.remove(from)
	cl.calls.unreserve(cl, from.Identity().Number)
	_ = from.Hangup(context.Background(), ReasonTransferred)
	cl.room.SetHold(stay, false)
	p := cl.parties[stay]
	if t, ok := p.obs.(TransferObserver); ok {
		t.Transferring(p.callID, to)
	}
	req := PlaceRequest{Caller: stay, To: to, Video: hasVideo(stay), Observer: renamed{p.obs, p.callID},
		transferor: from.Identity()}
	leg, err := cl.calls.dial(cl, req, dialer)
	if err != nil {
		if errors.Is(err, ErrHandedOver) {
			cl.log.Info("blind transfer handed over to the far end", "to", to)
		} else {
			cl.log.Info("transfer failed", "reason", string(ReasonFor(err)), "err", err)
		}
		cl.remove(stay)
		_ = stay.Hangup(context.Background(), ReasonFor(err))
		return
	}
	cl.join(leg, party{obs: observerOf(leg), callID: cl.id})
	cl.tellHold()
	p.obs.Connected(p.callID, leg.Identity(), hasVideo(stay) && hasVideo(leg), cl.calls.cfg.Now())
}

// renamed reports progress under the call id its observer knows.
type renamed struct {
	CallObserver
	id string
}

func (r renamed) Ringing(string) { r.CallObserver.Ringing(r.id) }

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
	err := consult.do(func() error {
		if !consult.has(fromConsult) || len(consult.legs) != 2 {
			return ErrNotInCall
		}
		target = consult.other(fromConsult)
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
