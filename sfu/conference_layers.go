package sfu

// layerFor picks which of o's video layers viewer m gets: the speaker's
// layer for the dominant speaker (and in speaker mode), the others' layer
// otherwise, never above the maximum, and lowered until it fits m's share
// of the bitrate budget.
func (c *Conference) layerFor(m, o *confMember) *UpTrack {
	layers := o.videoLayers()
	if len(layers) == 0 {
		return nil
	}
	p := c.cfg.Video
	want := p.OthersLayer
	if o.leg.ID() == c.dominant || c.spec.Video == VideoSpeaker {
		want = p.SpeakerLayer
	}
	want = max(0, min(want, p.MaxLayer, len(layers)-1))
	if p.MaxBitrate > 0 {
		share := p.MaxBitrate / max(1, len(m.slots))
		for want > 0 && layers[want].Bitrate() > share {
			want--
		}
	}
	return layers[want]
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
