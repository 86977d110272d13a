// Package configs holds Xphone's typed configuration: defaults, strict YAML
// decoding (unknown keys are errors), validation that reports every problem
// with its key path, and the embedded default and example files.
package configs

import "time"

// Config is the whole server configuration, one YAML file.
type Config struct {
	Xphone     Xphone      `yaml:"xphone"`
	HTTP       HTTP        `yaml:"http"`
	Calls      Calls       `yaml:"calls"`
	Server     ServerCfg   `yaml:"server"`
	History    History     `yaml:"history"`
	Media      Media       `yaml:"media"`
	Login      Login       `yaml:"login"`
	Limits     Limits      `yaml:"limits"`
	Metrics    Metrics     `yaml:"metrics"`
	Log        Log         `yaml:"log"`
	Extensions []Extension `yaml:"extensions"`
	Rooms      []Room      `yaml:"rooms"`
	Trunks     []Trunk     `yaml:"trunks"`
	Dialplan   []DialRule  `yaml:"dialplan"`
	// Transit lists the trunk pairs a call that came in from a trunk may
	// leave through (toll-fraud gate); none by default.
	Transit []TransitRule `yaml:"transit"`
	Policy  Policy        `yaml:"policy"`
	// Cluster joins several nodes through Redis (docs/cluster.md); nil (no
	// cluster: block) is a single node that needs no external service.
	Cluster *Cluster `yaml:"cluster"`
}

// Xphone is the master switch of the browser softphone (SPEC F1).
type Xphone struct {
	Enabled bool `yaml:"enabled"`
}

// HTTP configures the HTTPS listener that serves the UI and signalling.
type HTTP struct {
	Listen string `yaml:"listen"` // host:port, default ":81"
	Path   string `yaml:"path"`   // URL prefix, default "/xphone/"; starts and ends with "/"
	TLS    TLS    `yaml:"tls"`
	// AllowedOrigins lists extra Origins accepted on the WebSocket besides
	// the request's own host (e.g. behind a reverse proxy).
	AllowedOrigins []string `yaml:"allowed_origins"`
}

// TLS names a certificate and key; both empty means a self-signed pair is
// created in the data directory on first start and reused afterwards.
type TLS struct {
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}

// Calls holds call-control timing.
type Calls struct {
	NoAnswerTimeout Duration `yaml:"no_answer_timeout"` // default 30s
	CallWaiting     bool     `yaml:"call_waiting"`      // default true: one more call may ring a busy party
	// ReconnectGrace is how long a call waits for its tab's signalling
	// socket to come back while its media still flows (default 60s).
	ReconnectGrace Duration `yaml:"reconnect_grace"`
}

// ServerCfg is how the process stops (docs/cluster.md, "Drain").
type ServerCfg struct {
	// DrainGrace is how long a SIGTERM waits for this node's calls and
	// rooms to end, taking no new ones, before it stops anyway (default
	// 5m; 0: stop at once, as before draining existed).
	DrainGrace Duration `yaml:"drain_grace"`
}

// History caps each extension's list of recent calls (kept in the data
// directory): the newest MaxEntries entries, none older than MaxAge.
type History struct {
	MaxEntries int      `yaml:"max_entries"` // default 200; 1 to 10000
	MaxAge     Duration `yaml:"max_age"`     // default 2160h (90 days); 0: no age limit
}

// Media configures the server's WebRTC media ports.
type Media struct {
	UDPPortMin uint16   `yaml:"udp_port_min"` // 0 = any ephemeral port
	UDPPortMax uint16   `yaml:"udp_port_max"`
	PublicIPs  []string `yaml:"public_ips"` // advertised instead of local addresses (1:1 NAT)
	// Interfaces are those whose addresses are advertised to browsers; empty =
	// all but loopback.
	Interfaces []string `yaml:"interfaces"`
	// VideoCodec is the video codec a browser leg takes when its offer has
	// both: "vp8" (the default: every browser decodes it) or "h264" (for
	// browsers that meet H.264-only PBXs and phones). A leg offering only
	// one of them uses that one; nothing is transcoded, so a VP8 leg and
	// an H.264 leg do not see each other's video.
	VideoCodec string `yaml:"video_codec"`
}

// Login configures brute-force protection of the login form: per remote
// address first, and per extension only beyond a higher threshold, so that
// a stranger cannot cheaply lock the owner out (docs/security.md).
type Login struct {
	MaxFailures int `yaml:"max_failures"` // failures from one address before it is locked out, default 10
	// ExtensionMaxFailures is how many failures for one extension, from all
	// addresses together, lock the extension for addresses that have not
	// logged in to it before; default 30.
	ExtensionMaxFailures int      `yaml:"extension_max_failures"`
	SlowAfter            int      `yaml:"slow_after"`     // failures from one address before each try is delayed, default 3
	FailureWindow        Duration `yaml:"failure_window"` // how long failures are remembered, default 15m
	Lockout              Duration `yaml:"lockout"`        // lock-out length, default 15m
	SessionTTL           Duration `yaml:"session_ttl"`    // idle session lifetime, default 12h
}

// Limits caps what one extension and one browser tab may use, so that a
// stolen password or a runaway script cannot exhaust the server.
type Limits struct {
	PerExtension ExtensionLimits `yaml:"per_extension"`
	WebSocket    WebSocketLimits `yaml:"websocket"`
}

// ExtensionLimits are per-extension caps.
type ExtensionLimits struct {
	// Sessions is the number of login sessions kept; a new login beyond it
	// ends the least recently used one. Default 10.
	Sessions int `yaml:"sessions"`
	// Tabs is the number of signalling WebSockets open at once; more are
	// refused. Default 10.
	Tabs int `yaml:"tabs"`
	// Calls is the number of live call legs over all tabs (a tab holds at
	// most two); more dials and accepts are refused. Default 6.
	Calls int `yaml:"calls"`
}

// WebSocketLimits bound each tab's signalling socket.
type WebSocketLimits struct {
	// MessagesPerSecond refills the tab's token bucket; default 20.
	MessagesPerSecond float64 `yaml:"messages_per_second"`
	// Burst is the bucket size: messages a tab may send at once; default 60.
	Burst int `yaml:"burst"`
	// MaxMessageBytes is the largest message accepted; a larger one closes
	// the socket (1009). Default 65536.
	MaxMessageBytes int `yaml:"max_message_bytes"`
}

// Metrics configures who may read /metrics.
type Metrics struct {
	// Listen is a separate plain-HTTP address serving /metrics, /healthz
	// and /readyz; default "127.0.0.1:9181". Empty: no separate listener.
	Listen string `yaml:"listen"`
	// Token, when set, must be sent as "Authorization: Bearer TOKEN" to
	// read /metrics. With listen empty and a token set, /metrics is served
	// on the UI port behind the token; with both empty there is no /metrics.
	Token string `yaml:"token"`
}

// Log configures structured logging.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error; default info
	Format string `yaml:"format"` // text or json; default text
}

// Extension is one internal number.
type Extension struct {
	Number       string `yaml:"number"`
	Name         string `yaml:"name"`          // CallerID name
	Password     string `yaml:"password"`      // plain text; or use PasswordHash
	PasswordHash string `yaml:"password_hash"` // bcrypt, from `xphone hash-password`
	Xphone       bool   `yaml:"xphone"`        // may log in to the browser softphone (F3)
	Admin        bool   `yaml:"admin"`
	// Permission is the outbound class: internal (default), local,
	// national, international.
	Permission string `yaml:"permission"`
}

// HasSecret reports whether the extension has a configured password or hash.
// Extensions without one get a generated password stored in the data directory.
func (e Extension) HasSecret() bool { return e.Password != "" || e.PasswordHash != "" }

// Room is a conference room reached by dialling its number.
type Room struct {
	Number          string `yaml:"number"`
	Name            string `yaml:"name"`
	Video           string `yaml:"video"` // all, speaker, last_n, none
	MaxParticipants int    `yaml:"max_participants"`
	PIN             string `yaml:"pin"`
	// Moderators are the extensions that run the room: mute and remove
	// participants, lock it, record (admins moderate every room).
	Moderators []string `yaml:"moderators"`
	// Bridge dials a PBX conference number into the room while it has
	// participants; nil: no bridge.
	Bridge *RoomBridge `yaml:"bridge"`
}

// RoomBridge links a room to a conference on the PBX: when the first
// participant joins, Xphone dials Number through Trunk and the SIP leg
// joins the room; it hangs up after the last participant leaves.
type RoomBridge struct {
	Trunk  string `yaml:"trunk"`  // a configured trunk
	Number string `yaml:"number"` // dialled through the dial plan
	// Permission is the class the bridge call has in the dial plan
	// (default internal): the rule matching Number must not need more.
	Permission string `yaml:"permission"`
}

// Trunk is a SIP trunk to a PBX or provider (SPEC F26–F29).
type Trunk struct {
	Name      string         `yaml:"name"`      // referenced by dial rules
	Address   string         `yaml:"address"`   // host:port of the PBX or provider
	Transport string         `yaml:"transport"` // udp (default), tcp, tls
	Listen    string         `yaml:"listen"`    // local SIP host:port; default ":5060"
	Register  *TrunkRegister `yaml:"register"`  // nil: static IP peer
	// AllowedSources are the IPs or CIDRs that may send us SIP; default: the
	// address's IP. Everything else is dropped and counted.
	AllowedSources []string `yaml:"allowed_sources"`
	// CallerID is the From user of outbound calls; default: the
	// registration's user when the trunk registers (a PBX identifies the
	// trunk by it), else the caller's number.
	CallerID string `yaml:"caller_id"`
	// SendPAI adds P-Asserted-Identity (RFC 3325) with the calling user's
	// number and name to outbound INVITEs, for PBXs that trust it
	// (Asterisk trust_id_inbound=yes); off by default, since a provider
	// should not see internal extension numbers.
	SendPAI   bool     `yaml:"send_pai"`
	Media     string   `yaml:"media"`      // dtls-srtp (default), sdes, rtp
	ICE       string   `yaml:"ice"`        // auto (default), on, off
	Codecs    []string `yaml:"codecs"`     // preference: opus, pcmu, pcma; default [pcmu, pcma, opus]
	DTMF      string   `yaml:"dtmf"`       // rfc4733 (default) or info
	KeepAlive Duration `yaml:"keep_alive"` // OPTIONS interval; 0: off
	// Inbound routes a called number to an extension or room; an empty map
	// routes the called number unchanged.
	Inbound map[string]string `yaml:"inbound"`
	// SessionExpires is our RFC 4028 session interval (≥ 90 s).
	SessionExpires Duration `yaml:"session_expires"`
	// MediaTimeout ends a call with BYE when the peer sends no RTP or
	// RTCP for this long while the call is not on hold; nil: 30s, 0: off.
	MediaTimeout *Duration `yaml:"media_timeout"`
	// ReferPermission is the permission class a REFER from the trunk acts
	// with; "" refuses every REFER to an outside number.
	ReferPermission string `yaml:"refer_permission"`
	// ReferToTrunk transfers a trunk call whose target routes to the same
	// trunk by REFER to the PBX first, re-routing through Xphone only
	// when the PBX refuses or fails.
	ReferToTrunk bool `yaml:"refer_to_trunk"`
	// DialFromRegisteredContact (cluster, registering trunks only): the
	// provider accepts INVITEs only from the contact it has registered, so
	// a node that does not hold this trunk's registration lease hands its
	// users' outbound calls to the node that does; the call and its media
	// are anchored there. Default false: every node dials out itself.
	DialFromRegisteredContact bool `yaml:"dial_from_registered_contact"`
	// Presence lists PBX numbers whose state (available, on a call,
	// ringing) the trunk watches by SUBSCRIBE to their dialog event
	// package (RFC 4235; Asterisk hints); empty: none.
	Presence []string `yaml:"presence"`
	// TLS configures transport: tls (certificate checks, our own certificate).
	TLS TrunkTLS `yaml:"tls"`
	// RateLimit bounds what one allowed source may send.
	RateLimit TrunkRateLimit `yaml:"rate_limit"`
}

// TrunkRateLimit bounds SIP from one allowed source IP of a trunk (a
// looping PBX must not take the server down). Each is a rate per second
// with a burst of twice the rate; 0 means the default.
type TrunkRateLimit struct {
	// Messages is SIP messages per second; beyond it messages are dropped
	// unanswered and counted. Default 500.
	Messages int `yaml:"messages"`
	// Calls is new INVITEs per second; beyond it they are answered 503
	// with Retry-After. Default 20.
	Calls int `yaml:"calls"`
}

// TransitRule lets calls that came in from trunk From leave through trunk
// To (the same trunk is allowed too, if named twice) at most with
// Permission. Without a rule no call that entered from a trunk — directly,
// by REFER or by a transfer — ever leaves through a trunk.
type TransitRule struct {
	From       string `yaml:"from"`
	To         string `yaml:"to"`
	Permission string `yaml:"permission"`
}

// TrunkTLS configures SIP over TLS. The PBX's certificate is always
// verified unless InsecureSkipVerify is set (for lab setups only).
type TrunkTLS struct {
	CAFile             string `yaml:"ca_file"`              // PEM CAs trusted for the PBX; default: the system roots
	ServerName         string `yaml:"server_name"`          // name expected in the PBX certificate; default: address host
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"` // accept any PBX certificate (never in production)
	Cert               string `yaml:"cert"`                 // our certificate for inbound TLS connections (PEM)
	Key                string `yaml:"key"`                  // its key; both empty: the PBX must reuse our connection
}

// TrunkRegister is the digest registration of a trunk.
type TrunkRegister struct {
	User     string   `yaml:"user"`
	Password string   `yaml:"password"`
	Expiry   Duration `yaml:"expiry"` // requested registration lifetime; default 300s
}

// DialRule is one outbound routing rule: numbers matching Pattern leave
// through Trunk after Strip leading digits are removed and Prepend is added.
// Permission is the class a caller needs (internal, local, national,
// international).
type DialRule struct {
	Pattern    string `yaml:"pattern"` // digits, X any digit, trailing "." any rest
	Trunk      string `yaml:"trunk"`
	Strip      int    `yaml:"strip"`
	Prepend    string `yaml:"prepend"`
	Permission string `yaml:"permission"`
}

// Policy is the conference forwarding policy (SPEC F30).
type Policy struct {
	Speaker   SpeakerPolicy   `yaml:"speaker"`
	Mixer     MixerPolicy     `yaml:"mixer"`
	Video     VideoPolicy     `yaml:"video"`
	Meetings  MeetingsPolicy  `yaml:"meetings"`
	Recording RecordingPolicy `yaml:"recording"`
}

// MeetingsPolicy is who may do what in conference rooms.
type MeetingsPolicy struct {
	Share     string `yaml:"share"`      // who may share a screen: everyone, moderators, nobody
	MaxShares int    `yaml:"max_shares"` // screens shared at once in a room
	// SelfUnmute lets a participant a moderator muted unmute themselves.
	SelfUnmute bool `yaml:"self_unmute"`
	// HandLowerAfter lowers a raised hand after its owner spoke this long; 0: never.
	HandLowerAfter Duration `yaml:"hand_lower_after"`
	ChatHistory    int      `yaml:"chat_history"`   // chat messages a late joiner gets
	ChatMaxChars   int      `yaml:"chat_max_chars"` // longest chat message
}

// RecordingPolicy is who may record rooms, where recordings go and how
// long they are kept.
type RecordingPolicy struct {
	Allowed string `yaml:"allowed"` // everyone, moderators, nobody
	// Dir holds the recordings; relative paths are inside the data
	// directory. Default "recordings".
	Dir       string   `yaml:"dir"`
	Retention Duration `yaml:"retention"` // recordings older than this are deleted; 0: kept
}

// VideoPolicy tunes which video layers conference participants receive.
type VideoPolicy struct {
	SpeakerLayer string `yaml:"speaker_layer"`    // simulcast layer of the dominant speaker: low, medium, high
	OthersLayer  string `yaml:"others_layer"`     // layer of everyone else
	MaxLayer     string `yaml:"max_layer"`        // never forward above this layer
	LastN        int    `yaml:"last_n"`           // rooms in video mode last_n show this many recent speakers
	MaxBitrate   int    `yaml:"max_bitrate_kbps"` // per-subscriber video cap in kbit/s; 0 = none
}

// SpeakerPolicy tunes the active-speaker detector; see audiolevel.Params.
type SpeakerPolicy struct {
	Threshold    int      `yaml:"threshold"`     // loudest −dBov level that counts as speech, 0..126
	Window       Duration `yaml:"window"`        // smoothing time constant of levels
	MinTalk      Duration `yaml:"min_talk"`      // speech needed before someone counts as speaking
	SwitchHold   Duration `yaml:"switch_hold"`   // a new dominant speaker keeps the frame this long
	Release      Duration `yaml:"release"`       // a gap this long ends a talk run
	Margin       int      `yaml:"margin"`        // dB a challenger must be louder by, 0..127
	RequireVoice bool     `yaml:"require_voice"` // count only frames with the RFC 6464 V bit
}

// MixerPolicy tunes the conference audio mixer.
type MixerPolicy struct {
	TopK    int `yaml:"top_k"`   // talkers decoded and mixed per tick
	Bitrate int `yaml:"bitrate"` // Opus bits/s of the mixed streams
	// Complexity is the mix encoders' Opus complexity, 0..10 as written:
	// 0 is the cheapest setting, not "the default" (a key left out keeps
	// DefaultMixerComplexity, set before decoding).
	Complexity int `yaml:"complexity"`
	// DTX sends a stream of pure silence (nobody in the mix) only every
	// 400 ms instead of every 20 ms; false sends every frame.
	DTX bool `yaml:"dtx"`
	// ListenerFrameMS is the packet length of the shared mix that
	// everyone who is not talking hears: 20, 40 or 60 ms, or 0 to follow
	// the room's size (20 ms below 50 participants, 40 below 150, then 60).
	ListenerFrameMS int `yaml:"listener_frame_ms"`
}

// Duration is a time.Duration written in YAML as "30s", "15m".
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Cluster configures this node's membership of a cluster of Xphone nodes
// sharing a Redis directory and bus (docs/cluster.md).
type Cluster struct {
	// NodeID names this node, unique in the cluster; default: the host name.
	NodeID string `yaml:"node_id"`
	// Advertise lists host:port addresses other nodes and the load
	// balancer reach this node at (shown on the admin page).
	Advertise []string `yaml:"advertise"`
	// RoomMedia is the UDP host:port other nodes send this node the media
	// of rooms across nodes to (SRTP, keys over the bus). Default: the
	// host of the first advertise address, any port.
	RoomMedia string `yaml:"room_media"`
	// TTL is how long a silent node stays alive and its directory entries
	// last; nodes refresh them every TTL/3. Default 6s, 1s to 60s.
	TTL   Duration     `yaml:"ttl"`
	Redis ClusterRedis `yaml:"redis"`
	// Store is where login sessions, call history and settings live:
	// "redis" (the default: shared by every node, so a user whose node
	// dies keeps session, DND and history on the next) or "sqlite" (the
	// data directory's file, for several nodes on one machine sharing it).
	Store string `yaml:"store"`
}

// Values of cluster.store.
const (
	ClusterStoreRedis  = "redis"
	ClusterStoreSQLite = "sqlite"
)

// SharedStore reports whether sessions, history and settings live in
// Redis: a cluster: block without store: sqlite.
func (c *Cluster) SharedStore() bool { return c != nil && c.Store != ClusterStoreSQLite }

// ClusterRedis says how to reach Redis: one address (standalone), several
// (a Redis Cluster), or the Sentinels' addresses with MasterName.
type ClusterRedis struct {
	Addrs      []string `yaml:"addrs"`
	MasterName string   `yaml:"master_name"`
	Username   string   `yaml:"username"`
	Password   string   `yaml:"password"`
	DB         int      `yaml:"db"`
	// Prefix names this deployment's keys and channels, so several
	// deployments can share one Redis; default "xphone" (ClusterPrefix).
	Prefix string `yaml:"prefix"`
}

// ClusterPrefix is the deployment's name in Redis keys: p, or "xphone".
func (r ClusterRedis) ClusterPrefix() string {
	if r.Prefix == "" {
		return "xphone"
	}
	return r.Prefix
}
