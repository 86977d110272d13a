package sfu

import (
	"context"
	"maps"
	"slices"
)

// Update applies a reloaded room list and policy without dropping anyone:
// live rooms take the new policy and video mode at once; a room that was
// removed ends, telling its participants why; new rooms can be dialled.
func (cs *Conferences) Update(specs []RoomSpec, cfg ConferenceConfig) {
	next := map[string]RoomSpec{}
	for _, s := range specs {
		next[s.Number] = s
	}
	cs.mu.Lock()
	cs.specs, cs.cfg = next, cfg
	live := maps.Clone(cs.live)
	cs.mu.Unlock()
	for number, lr := range live {
		spec, kept := next[number]
		conf := lr.conf
		var ended []Leg
		_ = conf.do(context.Background(), func() {
			if !kept {
				ended = conf.legsOnLoop()
				return
			}
			conf.reconfigureOnLoop(spec, cfg)
		})
		for _, l := range ended {
			_ = l.Hangup(context.Background(), ReasonRoomRemoved)
		}
	}
}

func (c *Conference) legsOnLoop() []Leg {
	out := make([]Leg, 0, len(c.members))
	for _, m := range c.members {
		out = append(out, m.leg)
	}
	return out
}

// reconfigureOnLoop applies new tunables and, if it changed, the video mode.
func (c *Conference) reconfigureOnLoop(spec RoomSpec, cfg ConferenceConfig) {
	c.detector.SetParams(cfg.Speaker)
	for _, m := range c.members {
		m.meter.SetParams(cfg.Speaker)
	}
	if err := c.mix.SetConfig(cfg.Mixer); err != nil {
		c.log.Warn("mixer config not applied", "err", err)
	}
	if err := c.mix.SetCoders(cfg.Codecs); err != nil {
		c.log.Warn("mix encoder settings not applied", "err", err)
	}
	c.cfg.Speaker, c.cfg.Mixer, c.cfg.Video, c.cfg.Codecs = cfg.Speaker, cfg.Mixer, cfg.Video, cfg.Codecs
	c.cfg.Meeting, c.cfg.Recording = cfg.Meeting.withDefaults(), cfg.Recording
	c.relayer()
	modeChanged := spec.Video != c.spec.Video
	c.spec.Name, c.spec.MaxParticipants, c.spec.PIN, c.spec.Video = spec.Name, spec.MaxParticipants, spec.PIN, spec.Video
	c.spec.Moderators = spec.Moderators
	c.remoderate()
	if !modeChanged {
		return
	}
	for _, m := range c.members {
		for d, key := range m.slots {
			c.release(m, d, key)
		}
	}
	c.wireVideo()
	for _, m := range c.members {
		m.obs.Joined(m.callID, c.spec, m.leg.ID())
		c.sendSlots(m, slices.Clone(videoDowns(m.leg)))
	}
	c.log.Info("video mode changed", "mode", string(spec.Video))
}

// remoderate applies a reloaded moderator list (and admin flags) to the
// members, telling those whose role changed.
func (c *Conference) remoderate() {
	changed := false
	for _, m := range c.members {
		if mod := c.mayModerate(m.leg); mod != m.meet.moderator {
			m.meet.moderator = mod
			changed = true
		}
	}
	if changed {
		c.broadcastRoster()
	}
	c.broadcastState()
}
