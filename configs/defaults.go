package configs

import "time"

// Default values applied before decoding; keys missing from the YAML keep them.
const (
	DefaultListen           = ":81"
	DefaultPath             = "/xphone/"
	DefaultNoAnswerTimeout  = 30 * time.Second
	DefaultReconnectGrace   = 60 * time.Second
	DefaultDrainGrace       = 5 * time.Minute
	DefaultHistoryEntries   = 200
	DefaultHistoryMaxAge    = 90 * 24 * time.Hour
	DefaultSlowAfter        = 3
	DefaultMaxFailures      = 10
	DefaultExtMaxFailures   = 30
	DefaultSessionsPerExt   = 10
	DefaultTabsPerExt       = 10
	DefaultCallsPerExt      = 6
	DefaultWSMessageRate    = 20
	DefaultWSMessageBurst   = 60
	DefaultWSMaxMessage     = 64 << 10
	DefaultMetricsListen    = "127.0.0.1:9181"
	DefaultFailureWindow    = 15 * time.Minute
	DefaultLockout          = 15 * time.Minute
	DefaultSessionTTL       = 12 * time.Hour
	DefaultLogLevel         = "info"
	DefaultLogFormat        = "text"
	DefaultRoomVideo        = VideoAll
	DefaultSpeakerThreshold = 50
	DefaultSpeakerWindow    = 300 * time.Millisecond
	DefaultSpeakerMinTalk   = 250 * time.Millisecond
	DefaultSpeakerHold      = time.Second
	DefaultSpeakerRelease   = 600 * time.Millisecond
	DefaultSpeakerMargin    = 6
	DefaultMixerTopK        = 3
	DefaultMixerBitrate     = 32000
	// DefaultMixerComplexity stays 5. Complexity 0 is within 0.5 dB SNR
	// of 5 and 10 and halves the encoders' CPU (docs/benchmarks.md "Opus
	// encoder settings"), but with the pure-Go Opus a SIP caller in a
	// recorded room missed the recording beep in 2 of 8 runs of
	// TestSIPRoomCaller at 0 and in none of 6 at 5; until that is
	// understood the cheaper setting is an admin's choice, not the default.
	DefaultMixerComplexity = 5
	DefaultMixerDTX        = true
	DefaultListenerFrameMS = 0 // by room size
	DefaultMaxShares       = 1
	DefaultHandLowerAfter  = 3 * time.Second
	DefaultChatHistory     = 100
	DefaultChatMaxChars    = 1000
	DefaultRecordingDir    = "recordings"
	DefaultRetention       = 30 * 24 * time.Hour
)

// Who may use a meeting feature (policy.meetings.share, policy.recording.allowed).
const (
	Everyone   = "everyone"
	Moderators = "moderators"
	Nobody     = "nobody"
)

// Room video modes.
const (
	VideoAll     = "all"     // everyone's video is forwarded
	VideoSpeaker = "speaker" // only the active speaker's video
	VideoNone    = "none"    // audio-only room
	VideoLastN   = "last_n"  // the policy.video.last_n most recent speakers' video
)

// defaults returns a Config holding every default that applies before the
// YAML is decoded on top of it.
func defaults() *Config {
	return &Config{
		Xphone:  Xphone{Enabled: true},
		HTTP:    HTTP{Listen: DefaultListen, Path: DefaultPath},
		Calls:   Calls{NoAnswerTimeout: Duration(DefaultNoAnswerTimeout), CallWaiting: true, ReconnectGrace: Duration(DefaultReconnectGrace)},
		Server:  ServerCfg{DrainGrace: Duration(DefaultDrainGrace)},
		History: History{MaxEntries: DefaultHistoryEntries, MaxAge: Duration(DefaultHistoryMaxAge)},
		Login: Login{
			SlowAfter:            DefaultSlowAfter,
			MaxFailures:          DefaultMaxFailures,
			ExtensionMaxFailures: DefaultExtMaxFailures,
			FailureWindow:        Duration(DefaultFailureWindow),
			Lockout:              Duration(DefaultLockout),
			SessionTTL:           Duration(DefaultSessionTTL),
		},
		Limits: Limits{
			PerExtension: ExtensionLimits{Sessions: DefaultSessionsPerExt, Tabs: DefaultTabsPerExt, Calls: DefaultCallsPerExt},
			WebSocket: WebSocketLimits{MessagesPerSecond: DefaultWSMessageRate, Burst: DefaultWSMessageBurst,
				MaxMessageBytes: DefaultWSMaxMessage},
		},
		Metrics: Metrics{Listen: DefaultMetricsListen},
		Log:     Log{Level: DefaultLogLevel, Format: DefaultLogFormat},
		Policy: Policy{
			Speaker: SpeakerPolicy{
				Threshold: DefaultSpeakerThreshold, Window: Duration(DefaultSpeakerWindow),
				MinTalk: Duration(DefaultSpeakerMinTalk), SwitchHold: Duration(DefaultSpeakerHold),
				Release: Duration(DefaultSpeakerRelease), Margin: DefaultSpeakerMargin,
			},
			Mixer: MixerPolicy{TopK: DefaultMixerTopK, Bitrate: DefaultMixerBitrate, Complexity: DefaultMixerComplexity,
				DTX: DefaultMixerDTX, ListenerFrameMS: DefaultListenerFrameMS},
			Video: VideoPolicy{SpeakerLayer: "high", OthersLayer: "low", MaxLayer: "high", LastN: 4},
			Meetings: MeetingsPolicy{Share: Everyone, MaxShares: DefaultMaxShares, SelfUnmute: true,
				HandLowerAfter: Duration(DefaultHandLowerAfter), ChatHistory: DefaultChatHistory, ChatMaxChars: DefaultChatMaxChars},
			Recording: RecordingPolicy{Allowed: Moderators, Dir: DefaultRecordingDir, Retention: Duration(DefaultRetention)},
		},
	}
}

// applyListDefaults fills per-item defaults of list entries, which cannot be
// set before decoding because the lists do not exist yet.
func (c *Config) applyListDefaults() {
	for i := range c.Rooms {
		if c.Rooms[i].Video == "" {
			c.Rooms[i].Video = DefaultRoomVideo
		}
	}
}
