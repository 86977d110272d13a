package sfu

import "context"

// ScreenLeg is a leg that can publish a second video: its party's shared
// screen (a browser's getDisplayMedia track).
type ScreenLeg interface {
	Leg
	// ScreenTrack returns the leg's screen track. The first call adds a
	// video m-line the server receives on and renegotiates; the browser
	// answers it with its screen track (docs/signaling.md).
	ScreenTrack() (*UpTrack, error)
}

// ShareScreen starts (on) or stops leg's screen share. The policy decides
// who may share and how many screens at once (ErrNotAllowed,
// ErrShareLimit); everyone else in the room gets a video slot showing the
// screen, and the roster marks the sharer.
func (c *Conference) ShareScreen(ctx context.Context, leg Leg, on bool) error {
	if !on {
		return c.request(ctx, leg, func(m *confMember) error {
			c.stopShare(m)
			return nil
		})
	}
	if err := c.request(ctx, leg, c.mayShare); err != nil {
		return err
	}
	sl, ok := leg.(ScreenLeg)
	if !ok {
		return ErrNoVideo
	}
	up, err := sl.ScreenTrack() // may renegotiate: off the conference goroutine
	if err != nil {
		return err
	}
	return c.request(ctx, leg, func(m *confMember) error {
		if err := c.mayShare(m); err != nil || m.meet.screen == up {
			return err
		}
		m.meet.screen = up
		c.wireVideo()
		c.broadcastRoster()
		c.log.Info("screen shared", "leg", leg.ID(), "ext", leg.Identity().Number)
		return nil
	})
}

// mayShare checks the policy for m sharing a screen now.
func (c *Conference) mayShare(m *confMember) error {
	if c.spec.Video == VideoNone || len(videoDowns(m.leg)) == 0 {
		return ErrNoVideo
	}
	if !allowed(c.cfg.Meeting.Share, m) {
		return ErrNotAllowed
	}
	if m.meet.screen != nil {
		return nil // already sharing
	}
	shared := 0
	for _, o := range c.members {
		if o.meet.screen != nil {
			shared++
		}
	}
	if shared >= c.cfg.Meeting.MaxShares {
		return ErrShareLimit
	}
	return nil
}

// stopShare ends m's screen share, if any.
func (c *Conference) stopShare(m *confMember) {
	if m.meet.screen == nil {
		return
	}
	key := screenKey(m)
	up := m.meet.screen
	for _, o := range c.members {
		for d, k := range o.slots {
			if k == key {
				unsubscribe(d, []*UpTrack{up})
				delete(o.slots, d)
			}
		}
	}
	m.meet.screen = nil
	c.wireVideo()
	for _, o := range c.members {
		c.sendSlots(o, videoDowns(o.leg))
	}
	c.broadcastRoster()
	c.log.Info("screen share ended", "leg", m.leg.ID(), "ext", m.leg.Identity().Number)
}
