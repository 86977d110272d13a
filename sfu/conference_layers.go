package sfu

// audioReserve is what a viewer's audio takes out of its estimate (the
// estimate covers everything it receives; the budget is for video).
const audioReserve = 64_000

// budget is m's video budget in bits/s: the configured cap and what its
// link carries (its browser's REMB, or the server's estimate from its TWCC
// feedback, sfu/bwe) less its audio, whichever is lower; 0 means unlimited.
func (c *Conference) budget(m *confMember) int {
	b := c.cfg.Video.MaxBitrate
	if e, ok := m.leg.(EstimatingLeg); ok {
		if est := e.EstimatedBitrate(); est > 0 {
			est = max(est-audioReserve, est/2)
			if b == 0 || est < b {
				b = est
			}
		}
	}
	return b
}

// wantLayer is the layer the policy wants of o's video: the speaker's
// layer for the dominant speaker (and in speaker mode), the others' layer
// otherwise, never above the maximum.
func (c *Conference) wantLayer(o *confMember) int {
	p := c.cfg.Video
	want := p.OthersLayer
	if o.leg.ID() == c.dominant || c.spec.Video == VideoSpeaker {
		want = p.SpeakerLayer
	}
	return min(want, p.MaxLayer)
}

// choice is one video a viewer watches while its layers are planned.
type choice struct {
	d       *DownTrack
	layers  []*UpTrack
	at      int // index into layers
	speaker bool
}

// plan picks the layer of every video viewer m watches: what the policy
// wants, and then, while their measured bitrates add up to more than m's
// budget, one layer lower at a time: the thumbnails first, the speaker's
// video last, nothing below its lowest layer. A thin link thus keeps the
// speaker sharp as long as it can. As the budget recovers, the next plan
// (every second) raises them again.
func (c *Conference) plan(m *confMember) map[*DownTrack]*UpTrack {
	var choices []*choice
	total := 0
	for d, key := range m.slots {
		o, screen := c.source(key)
		layers := layersOf(o, screen)
		if len(layers) == 0 || !decodable(d, layers[0]) {
			continue
		}
		want := 0 // a screen has one layer
		if !screen {
			want = c.wantLayer(o)
		}
		up := pickLayer(layers, want, 0)
		// A shared screen is lowered last, like the speaker: it is what
		// everyone is looking at.
		ch := &choice{d: d, layers: layers, at: indexOf(layers, up), speaker: screen || key == c.dominant}
		choices = append(choices, ch)
		total += up.Bitrate()
	}
	budget := c.budget(m)
	for budget > 0 && total > budget {
		v := lowerable(choices)
		if v == nil {
			break
		}
		total -= v.layers[v.at].Bitrate()
		v.at = lowerFlowing(v.layers, v.at)
		total += v.layers[v.at].Bitrate()
	}
	out := make(map[*DownTrack]*UpTrack, len(choices))
	for _, ch := range choices {
		if ch.at >= 0 {
			out[ch.d] = ch.layers[ch.at]
		}
	}
	return out
}

// lowerable is the video to lower next: the costliest thumbnail that has a
// lower layer, else the speaker's; nil when all are at their lowest.
func lowerable(choices []*choice) *choice {
	var best *choice
	for _, ch := range choices {
		if ch.at <= 0 || lowerFlowing(ch.layers, ch.at) == ch.at {
			continue
		}
		if best == nil || (best.speaker && !ch.speaker) ||
			(best.speaker == ch.speaker && ch.layers[ch.at].Bitrate() > best.layers[best.at].Bitrate()) {
			best = ch
		}
	}
	return best
}

// lowerFlowing is the next lower flowing layer below at (at if none).
func lowerFlowing(layers []*UpTrack, at int) int {
	for i := at - 1; i >= 0; i-- {
		if layers[i].Flowing() {
			return i
		}
	}
	return at
}

func indexOf(layers []*UpTrack, up *UpTrack) int {
	for i, l := range layers {
		if l == up {
			return i
		}
	}
	return -1
}

// relayer moves every viewer to the planned layer of what they watch; it
// runs when the dominant speaker changes and once a second for budgets.
func (c *Conference) relayer() {
	for _, m := range c.members {
		for d, want := range c.plan(m) {
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
		if m.meet.screen != nil {
			m.meet.screen.measure(seconds) // counts in the viewers' budgets
		}
	}
}
