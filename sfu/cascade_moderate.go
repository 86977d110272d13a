package sfu

import (
	"context"
)

// CascadeMod is a moderator's action crossing nodes: on a member, to the
// member's node, which enforces it and tells the member's tab; or a lock,
// to the room's host, which makes it every node's.
type CascadeMod struct {
	Room   string    `json:"room"`
	Action ModAction `json:"action"`
	Target string    `json:"target,omitempty"` // member id; "" for a lock
	Node   string    `json:"node,omitempty"`   // the target's node
	By     string    `json:"by"`               // the moderator's member id
	On     bool      `json:"on"`
}

// SetMeeting wires the room's meeting state to the cascade: moderate
// carries an action to another node (it must not block), changed hears
// every change of roster or lock here (it must not block). Set before the
// first stand-in joins.
func (r *CascadeRoom) SetMeeting(moderate func(CascadeMod), changed func()) {
	r.mu.Lock()
	r.moderate, r.changed = moderate, changed
	r.mu.Unlock()
}

// forwardModeration hands a moderator's action on another node's member
// to that node and reports that it did; the room's stand-in shows the
// result once that node tells. A lock is applied here as well (so this
// node refuses joins at once) and handed to the host, whose roster then
// makes it every node's. It runs on the conference goroutine.
func (c *Conference) forwardModeration(by Leg, action ModAction, target string, on bool) bool {
	if action == ModLock {
		for _, m := range c.members {
			if l, ok := m.leg.(*cascadeLeg); ok && l.mod != nil {
				l.mod(CascadeMod{Action: action, By: by.ID(), On: on})
				break
			}
		}
		return false
	}
	t := c.memberByID(target)
	if t == nil {
		return false
	}
	l, ok := t.leg.(*cascadeLeg)
	if !ok || l.mod == nil {
		return false
	}
	l.mod(CascadeMod{Action: action, Target: target, Node: l.m.Node, By: by.ID(), On: on})
	return true
}

// Moderate carries out a moderator's action that came from another node:
// the moderator is their stand-in here and must moderate the room (their
// own node checked it; their stand-in says so). The target is a member
// of this node.
func (r *CascadeRoom) Moderate(ctx context.Context, req CascadeMod) error {
	conf := r.live()
	if conf == nil {
		return ErrNoMember
	}
	var removed Leg
	var err error
	if doErr := conf.do(ctx, func() { removed, err = conf.moderateForRemote(req) }); doErr != nil {
		return doErr
	}
	if removed != nil {
		_ = removed.Hangup(context.Background(), ReasonRemoved) // off the conference goroutine
	}
	return err
}

// moderateForRemote is Moderate on the conference goroutine.
func (c *Conference) moderateForRemote(req CascadeMod) (Leg, error) {
	mod := c.memberByID(req.By)
	if mod == nil || !isStandIn(mod.leg) || !mod.meet.moderator {
		c.log.Warn("moderator action from another node refused: not a moderator", "action", string(req.Action), "by_leg", req.By, "target", req.Target)
		return nil, ErrNotModerator
	}
	if req.Action != ModLock {
		if t := c.memberByID(req.Target); t == nil || isStandIn(t.leg) {
			return nil, ErrNoMember
		}
	}
	removed, err := c.moderateOnLoop(mod, req.Action, req.Target, req.On)
	c.log.Info("moderator action from another node", "action", string(req.Action), "on", req.On, "by", mod.leg.Identity().Number, "target_leg", req.Target, "err", err)
	return removed, err
}
