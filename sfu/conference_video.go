package sfu

import "slices"

// wireVideo makes every member's video downs show what the room's mode
// says. It runs on the conference goroutine after every change that can
// alter the picture: a join, a leave, a new dominant speaker.
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
}

// wireAll gives m one video slot per other member who publishes video,
// keeping existing assignments so nobody's picture jumps between slots.
func (c *Conference) wireAll(m *confMember) {
	want := c.othersWithVideo(m)
	if c.spec.Video == VideoLastN {
		want = c.recentSpeakers(want, c.cfg.Video.LastN)
	}
	downs := videoDowns(m.leg)
	if len(downs) == 0 {
		return // this participant receives no video (audio-only call)
	}
	if sl, ok := m.leg.(VideoSlotLeg); ok && len(downs) < len(want) {
		var err error
		if downs, err = sl.EnsureVideoSlots(len(want)); err != nil {
			c.log.Warn("cannot add video slots", "leg", m.leg.ID(), "err", err)
			downs = videoDowns(m.leg)
		}
	}
	changed := c.releaseStale(m, want)
	for _, o := range want {
		if slices.Contains(mapValues(m.slots), o.leg.ID()) {
			continue
		}
		if d := freeSlot(m, downs); d != nil {
			c.assign(m, d, o)
			changed = true
		}
	}
	if changed {
		c.sendSlots(m, downs)
	}
}

// wireSpeaker points m's one video at the dominant speaker, or, when m is
// the dominant speaker, at whoever spoke before them.
func (c *Conference) wireSpeaker(m *confMember) {
	downs := videoDowns(m.leg)
	if len(downs) == 0 {
		return
	}
	target := c.speakerFor(m)
	d := downs[0]
	cur, assigned := m.slots[d]
	if (target == nil && !assigned) || (target != nil && cur == target.leg.ID()) {
		return
	}
	release(m, d, c.memberByID(cur))
	if target != nil {
		c.assign(m, d, target)
	}
	c.sendSlots(m, downs[:1])
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

// releaseStale frees m's slots that show someone no longer wanted.
func (c *Conference) releaseStale(m *confMember, want []*confMember) bool {
	changed := false
	for d, id := range m.slots {
		if !slices.ContainsFunc(want, func(o *confMember) bool { return o.leg.ID() == id }) {
			release(m, d, c.memberByID(id))
			changed = true
		}
	}
	return changed
}

// unwireMember stops all video to and from a leaving member.
func (c *Conference) unwireMember(gone *confMember) {
	for d, id := range gone.slots {
		release(gone, d, c.memberByID(id))
	}
	for _, m := range c.members {
		for d, id := range m.slots {
			if id == gone.leg.ID() {
				release(m, d, gone)
			}
		}
	}
}

// assign shows o's video on m's slot d, at the layer the policy picks.
func (c *Conference) assign(m *confMember, d *DownTrack, o *confMember) {
	m.slots[d] = o.leg.ID()
	up := c.plan(m)[d]
	if up == nil {
		return
	}
	up.Subscribe(d)
	d.SetSource(up)
}

func release(m *confMember, d *DownTrack, o *confMember) {
	if o != nil {
		for _, up := range o.videoLayers() {
			up.Unsubscribe(d)
		}
	}
	d.SetSource(nil)
	delete(m.slots, d)
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

func mapValues(m map[*DownTrack]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// sendSlots tells m's client which member each video track shows.
func (c *Conference) sendSlots(m *confMember, downs []*DownTrack) {
	sl, ok := m.leg.(VideoSlotLeg)
	if !ok {
		return
	}
	slots := make([]Slot, 0, len(downs))
	for _, d := range downs {
		slots = append(slots, Slot{Mid: sl.SlotMid(d), Member: m.slots[d]})
	}
	m.obs.VideoSlots(m.callID, slots)
}
