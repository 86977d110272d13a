package sfu

import (
	"context"
	"errors"
)

// ModAction is what a moderator does to a participant or the room.
type ModAction string

// Moderator actions.
const (
	ModMute      ModAction = "mute"       // on: stop mixing the target; off: lift that
	ModRemove    ModAction = "remove"     // end the target's call
	ModLock      ModAction = "lock"       // on: refuse new joiners (but moderators); off: open
	ModLowerHand ModAction = "lower_hand" // lower the target's hand
)

// ErrBadAction refuses an unknown moderator action.
var ErrBadAction = errors.New("sfu: unknown moderator action")

// Moderate carries out a moderator's action: by must moderate the room
// (ErrNotModerator otherwise, logged with who asked), target is a member
// id for the per-person actions. Every action is logged with who did it.
func (c *Conference) Moderate(ctx context.Context, by Leg, action ModAction, target string, on bool) error {
	var removed Leg
	err := c.request(ctx, by, func(mod *confMember) error {
		byID := by.Identity()
		if !mod.meet.moderator {
			c.log.Warn("moderator action refused: not a moderator", "action", string(action), "by", byID.Number, "by_leg", by.ID(), "target", target)
			return ErrNotModerator
		}
		if c.forwardModeration(by, action, target, on) { // a member of another node: its node acts
			c.log.Info("moderator action sent to the member's node", "action", string(action), "on", on, "by", byID.Number, "target_leg", target)
			return nil
		}
		var err error
		removed, err = c.moderateOnLoop(mod, action, target, on)
		if err != nil {
			c.log.Info("moderator action failed", "action", string(action), "by", byID.Number, "target", target, "err", err)
			return err
		}
		args := []any{"action", string(action), "on", on, "by", byID.Number, "by_leg", by.ID()}
		if t := c.memberByID(target); t != nil {
			args = append(args, "target", t.leg.Identity().Number, "target_leg", target)
		}
		c.log.Info("moderator action", args...)
		return nil
	})
	if removed != nil {
		_ = removed.Hangup(context.Background(), ReasonRemoved) // off the conference goroutine: a SIP BYE is I/O
	}
	return err
}

// moderateOnLoop applies one action; it returns the leg to hang up for a
// removal.
func (c *Conference) moderateOnLoop(mod *confMember, action ModAction, target string, on bool) (Leg, error) {
	if action == ModLock {
		if c.meeting.locked != on {
			c.meeting.locked = on
			kind := NoticeUnlocked
			if on {
				kind = NoticeLocked
			}
			c.broadcastState()
			c.notify(noticeAbout(kind, nil, mod), nil)
		}
		return nil, nil
	}
	t := c.memberByID(target)
	if t == nil {
		return nil, ErrNoMember
	}
	switch action {
	case ModMute:
		if t.meet.modMuted != on {
			c.setModMuted(t, on)
			kind := NoticeUnmuted
			if on {
				kind = NoticeMuted
			}
			c.notify(noticeAbout(kind, t, mod), nil)
		}
	case ModLowerHand:
		if t.meet.hand {
			t.meet.hand = false
			c.broadcastRoster()
		}
	case ModRemove:
		if !t.meet.removed {
			t.meet.removed = true
			c.notify(noticeAbout(NoticeRemoved, t, mod), nil)
			return t.leg, nil
		}
	default:
		return nil, ErrBadAction
	}
	return nil, nil
}
