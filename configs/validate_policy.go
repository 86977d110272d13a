package configs

import "time"

func (p Policy) validate(ps *problems) {
	p.Speaker.validate(ps)
	p.Mixer.validate(ps)
}

func (s SpeakerPolicy) validate(ps *problems) {
	if s.Threshold < 0 || s.Threshold > 126 {
		ps.add("policy.speaker.threshold", "%d is not in 0..126 (127 is silence)", s.Threshold)
	}
	if s.Margin < 0 || s.Margin > 127 {
		ps.add("policy.speaker.margin", "%d is not in 0..127", s.Margin)
	}
	ranges := []struct {
		key      string
		d        Duration
		min, max time.Duration
	}{
		{"window", s.Window, time.Millisecond, 10 * time.Second},
		{"min_talk", s.MinTalk, 0, 10 * time.Second},
		{"switch_hold", s.SwitchHold, 0, time.Minute},
		{"release", s.Release, time.Millisecond, 10 * time.Second},
	}
	for _, r := range ranges {
		if r.d.D() < r.min || r.d.D() > r.max {
			ps.add("policy.speaker."+r.key, "%v is not between %v and %v", r.d.D(), r.min, r.max)
		}
	}
}

func (m MixerPolicy) validate(ps *problems) {
	if m.TopK < 1 || m.TopK > 16 {
		ps.add("policy.mixer.top_k", "%d is not in 1..16", m.TopK)
	}
	if m.Bitrate < 6000 || m.Bitrate > 510000 {
		ps.add("policy.mixer.bitrate", "%d is not in 6000..510000 bits/s", m.Bitrate)
	}
	if m.Complexity < 0 || m.Complexity > 10 {
		ps.add("policy.mixer.complexity", "%d is not in 0..10", m.Complexity)
	}
}
