package configs

import (
	"slices"
	"strings"
	"time"
)

func (p Policy) validate(ps *problems) {
	p.Speaker.validate(ps)
	p.Mixer.validate(ps)
	p.Video.validate(ps)
	p.Meetings.validate(ps)
	p.Recording.validate(ps)
}

var whoValues = []string{Everyone, Moderators, Nobody}

func (m MeetingsPolicy) validate(ps *problems) {
	if !slices.Contains(whoValues, m.Share) {
		ps.add("policy.meetings.share", "%q is not one of everyone, moderators, nobody", m.Share)
	}
	if m.MaxShares < 1 || m.MaxShares > 16 {
		ps.add("policy.meetings.max_shares", "%d is not in 1..16", m.MaxShares)
	}
	if d := m.HandLowerAfter.D(); d < 0 || d > 10*time.Minute {
		ps.add("policy.meetings.hand_lower_after", "%v is not between 0 (never) and 10m", d)
	}
	if m.ChatHistory < 1 || m.ChatHistory > 1000 {
		ps.add("policy.meetings.chat_history", "%d is not in 1..1000", m.ChatHistory)
	}
	if m.ChatMaxChars < 1 || m.ChatMaxChars > 10000 {
		ps.add("policy.meetings.chat_max_chars", "%d is not in 1..10000", m.ChatMaxChars)
	}
}

func (r RecordingPolicy) validate(ps *problems) {
	if !slices.Contains(whoValues, r.Allowed) {
		ps.add("policy.recording.allowed", "%q is not one of everyone, moderators, nobody", r.Allowed)
	}
	if strings.TrimSpace(r.Dir) == "" {
		ps.add("policy.recording.dir", "must not be empty (default %q, inside the data directory)", DefaultRecordingDir)
	} else if strings.ContainsRune(r.Dir, 0) {
		ps.add("policy.recording.dir", "must not contain NUL")
	}
	if d := r.Retention.D(); d < 0 || (d > 0 && d < time.Hour) {
		ps.add("policy.recording.retention", "%v must be 0 (keep) or at least 1h", d)
	}
}

// Layers are the simulcast layer names, lowest first.
var Layers = []string{"low", "medium", "high"}

func (v VideoPolicy) validate(ps *problems) {
	for _, l := range []struct{ key, v string }{{"speaker_layer", v.SpeakerLayer}, {"others_layer", v.OthersLayer}, {"max_layer", v.MaxLayer}} {
		if !slices.Contains(Layers, l.v) {
			ps.add("policy.video."+l.key, "%q is not one of low, medium, high", l.v)
		}
	}
	if v.LastN < 1 || v.LastN > 64 {
		ps.add("policy.video.last_n", "%d is not in 1..64", v.LastN)
	}
	if v.MaxBitrate < 0 {
		ps.add("policy.video.max_bitrate_kbps", "%d must not be negative", v.MaxBitrate)
	}
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
	if m.ListenerFrameMS != 0 && m.ListenerFrameMS != 20 && m.ListenerFrameMS != 40 && m.ListenerFrameMS != 60 {
		ps.add("policy.mixer.listener_frame_ms", "%d is not 0 (by room size), 20, 40 or 60", m.ListenerFrameMS)
	}
}
