package server

import (
	"path/filepath"
	"slices"
	"time"

	"xphone/audiolevel"
	"xphone/configs"
	"xphone/sfu"
	"xphone/sfu/mixer"
)

// conferenceConfig turns the policy section into the conference tunables.
func (s *Server) conferenceConfig(p configs.Policy) sfu.ConferenceConfig {
	return sfu.ConferenceConfig{
		Stats: s.stats,
		Mixer: mixer.Config{
			TopK:      p.Mixer.TopK,
			Threshold: uint8(p.Speaker.Threshold),
			HoldTicks: int(p.Speaker.Release.D() / (20 * time.Millisecond)),
			PT:        111,
			// 20 ms per frame: 40 and 60 ms packets carry 2 and 3 frames;
			// 0 (the default) lets each room follow its size.
			SharedFrames: p.Mixer.ListenerFrameMS / 20,
			NoDTX:        !p.Mixer.DTX,
		},
		Speaker: speakerParams(p.Speaker),
		Video: sfu.VideoPolicy{
			SpeakerLayer: slices.Index(configs.Layers, p.Video.SpeakerLayer),
			OthersLayer:  slices.Index(configs.Layers, p.Video.OthersLayer),
			MaxLayer:     slices.Index(configs.Layers, p.Video.MaxLayer),
			LastN:        p.Video.LastN,
			MaxBitrate:   p.Video.MaxBitrate * 1000,
		},
		Codecs: sfu.OpusCodecs{Bitrate: p.Mixer.Bitrate, Complexity: p.Mixer.Complexity},
		Tick:   20 * time.Millisecond,
		// The detector's defaults are tuned for a decision every 20 ms tick.
		DecideEvery: 1,
		Now:         time.Now,
		Meeting: sfu.MeetingPolicy{
			Share: sfu.Who(p.Meetings.Share), MaxShares: p.Meetings.MaxShares, Record: sfu.Who(p.Recording.Allowed),
			SelfUnmute: p.Meetings.SelfUnmute, HandLowerAfter: p.Meetings.HandLowerAfter.D(),
			ChatHistory: p.Meetings.ChatHistory, ChatMaxChars: p.Meetings.ChatMaxChars, IsAdmin: s.isAdmin,
		},
		Recording: sfu.RecordingConfig{Dir: s.recordingDir(p.Recording)},
	}
}

// isAdmin reports whether extension number is an administrator (who
// moderates every room), by the current credentials.
func (s *Server) isAdmin(number string) bool {
	st := s.store.Load()
	if st == nil {
		return false
	}
	ext, ok := st.Lookup(number)
	return ok && ext.Admin
}

// recordingDir is where recordings go: policy.recording.dir, inside the
// data directory when relative.
func (s *Server) recordingDir(r configs.RecordingPolicy) string {
	if filepath.IsAbs(r.Dir) {
		return r.Dir
	}
	return filepath.Join(s.dataDir, r.Dir)
}

func speakerParams(s configs.SpeakerPolicy) audiolevel.Params {
	return audiolevel.Params{
		Threshold: uint8(s.Threshold), Window: s.Window.D(), MinTalk: s.MinTalk.D(),
		SwitchHold: s.SwitchHold.D(), Release: s.Release.D(), Margin: uint8(s.Margin),
		RequireVoice: s.RequireVoice,
	}
}

// roomSpecs lists the configured conference rooms.
func roomSpecs(rooms []configs.Room) []sfu.RoomSpec {
	out := make([]sfu.RoomSpec, 0, len(rooms))
	for _, r := range rooms {
		out = append(out, sfu.RoomSpec{Number: r.Number, Name: r.Name, Video: sfu.VideoMode(r.Video),
			MaxParticipants: r.MaxParticipants, PIN: r.PIN, Moderators: r.Moderators})
	}
	return out
}
