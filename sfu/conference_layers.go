package sfu

// budget is m's video budget in bits/s: the configured cap and the
// browser's own estimate, whichever is lower; 0 means unlimited.
func (c *Conference) budget(m *confMember) int {
	b := c.cfg.Video.MaxBitrate
	if e, ok := m.leg.(EstimatingLeg); ok {
		if est := e.EstimatedBitrate(); est > 0 && (b == 0 || est < b) {
			b = est
		}
	}
	return b
}

// layerFor picks which of o's video layers viewer m gets: the speaker's
// layer for the dominant speaker (and in speaker mode), the others' layer
// otherwise, never above the maximum, and lowered until it fits m's share
// of the bitrate budget (configured cap or the viewer's REMB estimate).
// As the estimate recovers, the next check raises the layer again.
func (c *Conference) layerFor(m, o *confMember) *UpTrack {
	p := c.cfg.Video
	want := p.OthersLayer
	if o.leg.ID() == c.dominant || c.spec.Video == VideoSpeaker {
		want = p.SpeakerLayer
	}
	share := 0
	if b := c.budget(m); b > 0 {
		share = b / max(1, len(m.slots))
	}
	return pickLayer(o.videoLayers(), min(want, p.MaxLayer), share)
}

// relayer moves every viewer to the right layer of what they watch; it
// runs when the dominant speaker changes and once a second for budgets.
func (c *Conference) relayer() {
	for _, m := range c.members {
		for d, id := range m.slots {
			o := c.memberByID(id)
			if o == nil {
				continue
			}
			want := c.layerFor(m, o)
			cur := d.Source()
			if want == nil || cur == want {
				continue
			}
			if cur != nil {
				cur.Unsubscribe(d)
			}
			want.Subscribe(d)
			d.SetSource(want)
			if c.cfg.Stats != nil {
				c.cfg.Stats.LayerSwitches.Add(1)
			}
		}
	}
}

// measureBitrates updates every video layer's bitrate from its byte count.
func (c *Conference) measureBitrates(seconds float64) {
	for _, m := range c.members {
		for _, u := range m.videoLayers() {
			u.measure(seconds)
		}
	}
}
