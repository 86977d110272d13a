package sfu

import (
	"slices"
	"strings"
)

// A member's video slots show sources named by keys: a member's id for
// their camera, the id with screenSuffix for the screen they share.
const screenSuffix = "#screen"

func cameraKey(m *confMember) string { return m.leg.ID() }
func screenKey(m *confMember) string { return m.leg.ID() + screenSuffix }

// source resolves a key to its member (nil if gone) and whether it names
// their screen.
func (c *Conference) source(key string) (*confMember, bool) {
	id, screen := strings.CutSuffix(key, screenSuffix)
	return c.memberByID(id), screen
}

// layersOf are the up tracks a source has, lowest layer first: a camera's
// simulcast layers, or the one screen track.
func layersOf(m *confMember, screen bool) []*UpTrack {
	switch {
	case m == nil:
		return nil
	case screen && m.meet.screen == nil:
		return nil
	case screen:
		return []*UpTrack{m.meet.screen}
	}
	return m.videoLayers()
}

// wireVideo makes every member's video downs show what the room's mode
// says. It runs on the conference goroutine after every change that can
// alter the picture: a join, a leave, a new dominant speaker, a screen
// shared or no longer.
func (c *Conference) wireVideo() {
	switch c.spec.Video {
	case VideoAll, VideoLastN:
		for _, m := range c.members {
			c.wireAll(m)
		}
	case VideoSpeaker:
		for _, m := range c.members {
			c.wireSpeaker(m)
		}
	}
	c.recordVideo()
}

// wireAll gives m one video slot per shared screen and per other member
// who publishes video (the recent speakers in last_n), keeping existing
// assignments so nobody's picture jumps between slots.
func (c *Conference) wireAll(m *confMember) {
	want := c.screensFor(m)
	cams := c.othersWithVideo(m)
	if c.spec.Video == VideoLastN {
		cams = c.recentSpeakers(cams, c.cfg.Video.LastN)
	}
	for _, o := range cams {
		want = append(want, cameraKey(o))
	}
	downs := c.ensureSlots(m, len(want))
	if len(downs) == 0 {
		return // this participant receives no video (audio-only call)
	}
	if c.fill(m, downs, want) {
		c.sendSlots(m, downs)
	}
}

// wireSpeaker points m's first video at the dominant speaker, or, when m
// is the dominant speaker, at whoever spoke before them; shared screens
// get the slots after it.
func (c *Conference) wireSpeaker(m *confMember) {
	screens := c.screensFor(m)
	downs := c.ensureSlots(m, 1+len(screens))
	if len(downs) == 0 {
		return
	}
	changed := c.fill(m, downs[1:], screens)
	target := c.speakerFor(m)
	d := downs[0]
	cur, assigned := m.slots[d]
	if !(target == nil && !assigned) && !(target != nil && cur == cameraKey(target)) {
		if assigned {
			c.release(m, d, cur)
		}
		if target != nil {
			c.assign(m, d, cameraKey(target))
		}
		changed = true
	}
	if changed {
		c.sendSlots(m, downs)
	}
}

// screensFor are the keys of the screens others share, in join order.
func (c *Conference) screensFor(m *confMember) []string {
	var keys []string
	for _, o := range c.members {
		if o != m && o.meet.screen != nil {
			keys = append(keys, screenKey(o))
		}
	}
	return keys
}

// ensureSlots grows m's video downs to n where the leg can (a browser in
// a room adds transceivers by renegotiating) and returns them all.
func (c *Conference) ensureSlots(m *confMember, n int) []*DownTrack {
	downs := videoDowns(m.leg)
	if len(downs) == 0 {
		return nil
	}
	if sl, ok := m.leg.(VideoSlotLeg); ok && len(downs) < n {
		var err error
		if downs, err = sl.EnsureVideoSlots(n); err != nil {
			c.log.Warn("cannot add video slots", "leg", m.leg.ID(), "err", err)
			downs = videoDowns(m.leg)
		}
	}
	return downs
}

// fill makes downs show the wanted sources: it frees slots showing
// anything else, then gives each wanted source not yet shown a free slot.
// It reports whether anything changed.
func (c *Conference) fill(m *confMember, downs []*DownTrack, want []string) bool {
	changed := false
	for _, d := range downs {
		if key, ok := m.slots[d]; ok && !slices.Contains(want, key) {
			c.release(m, d, key)
			changed = true
		}
	}
	for _, k := range want {
		if shows(m, downs, k) {
			continue
		}
		if d := freeSlot(m, downs); d != nil {
			c.assign(m, d, k)
			changed = true
		}
	}
	return changed
}

func shows(m *confMember, downs []*DownTrack, key string) bool {
	for _, d := range downs {
		if m.slots[d] == key {
			return true
		}
	}
	return false
}

// recentSpeakers orders candidates by how recently they were the dominant
// speaker (never-speakers last, in join order) and keeps n.
func (c *Conference) recentSpeakers(candidates []*confMember, n int) []*confMember {
	recency := func(o *confMember) int { return slices.Index(c.history, o.leg.ID()) }
	out := slices.Clone(candidates)
	slices.SortStableFunc(out, func(a, b *confMember) int { return recency(b) - recency(a) })
	return out[:min(len(out), max(n, 1))]
}

// speakerFor picks whose video m sees in speaker mode.
func (c *Conference) speakerFor(m *confMember) *confMember {
	for i := len(c.history) - 1; i >= 0; i-- {
		if o := c.memberByID(c.history[i]); o != nil && o != m && o.videoUp() != nil {
			return o
		}
	}
	others := c.othersWithVideo(m)
	if len(others) > 0 {
		return others[0]
	}
	return nil
}

func (c *Conference) othersWithVideo(m *confMember) []*confMember {
	var out []*confMember
	for _, o := range c.members {
		if o != m && o.videoUp() != nil {
			out = append(out, o)
		}
	}
	return out
}

func (c *Conference) memberByID(id string) *confMember {
	for _, o := range c.members {
		if o.leg.ID() == id {
			return o
		}
	}
	return nil
}

// unwireMember stops all video to and from a leaving member (no longer in
// c.members).
func (c *Conference) unwireMember(gone *confMember) {
	for d, key := range gone.slots {
		c.release(gone, d, key)
	}
	for _, m := range c.members {
		for d, key := range m.slots {
			switch key {
			case cameraKey(gone):
				unsubscribe(d, layersOf(gone, false))
				delete(m.slots, d)
			case screenKey(gone):
				unsubscribe(d, layersOf(gone, true))
				delete(m.slots, d)
			}
		}
	}
}

// assign shows source key on m's slot d, at the layer the policy picks.
func (c *Conference) assign(m *confMember, d *DownTrack, key string) {
	m.slots[d] = key
	up := c.plan(m)[d]
	if up == nil {
		return
	}
	up.Subscribe(d)
	d.SetSource(up)
}

// release stops m's slot d showing key.
func (c *Conference) release(m *confMember, d *DownTrack, key string) {
	o, screen := c.source(key)
	unsubscribe(d, layersOf(o, screen))
	delete(m.slots, d)
}

// unsubscribe takes d off its source and off every track of layers.
func unsubscribe(d *DownTrack, layers []*UpTrack) {
	if src := d.Source(); src != nil {
		src.Unsubscribe(d)
	}
	for _, up := range layers {
		up.Unsubscribe(d)
	}
	d.SetSource(nil)
}

func freeSlot(m *confMember, downs []*DownTrack) *DownTrack {
	for _, d := range downs {
		if _, used := m.slots[d]; !used {
			return d
		}
	}
	return nil
}

func videoDowns(leg Leg) []*DownTrack {
	var out []*DownTrack
	for _, d := range leg.Downs() {
		if d.Kind() == Video {
			out = append(out, d)
		}
	}
	return out
}

// sendSlots tells m's client which member (camera or screen) each video
// track shows.
func (c *Conference) sendSlots(m *confMember, downs []*DownTrack) {
	sl, ok := m.leg.(VideoSlotLeg)
	if !ok {
		return
	}
	slots := make([]Slot, 0, len(downs))
	pending := false
	for _, d := range downs {
		id, screen := strings.CutSuffix(m.slots[d], screenSuffix)
		mid := sl.SlotMid(d)
		pending = pending || (mid == "" && id != "")
		slots = append(slots, Slot{Mid: mid, Member: id, Screen: screen && id != ""})
	}
	m.slotsPending = pending
	m.obs.VideoSlots(m.callID, slots)
}

// resendPendingSlots tells again the slots that had no mid yet: a slot
// added while an earlier renegotiation was waiting for its answer gets
// its mid only with the next offer.
func (c *Conference) resendPendingSlots() {
	for _, m := range c.members {
		if m.slotsPending {
			c.sendSlots(m, videoDowns(m.leg))
		}
	}
}
