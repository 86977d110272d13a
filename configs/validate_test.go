package configs

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// validBase returns a valid configuration with one room, for mutation.
func validBase(t *testing.T) *Config {
	t.Helper()
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	c.Rooms = []Room{{Number: "800", Name: "Team", Video: VideoAll}}
	if err := c.Validate(); err != nil {
		t.Fatalf("base config invalid: %v", err)
	}
	return c
}

const bcryptHash = "$2a$10$L.kuGcYlF0f.pGupFPwxDe4yxCkD6ESCuJMlCbEkM1G1ops.CQZFm"

func TestValidateRules(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(c *Config)
		path    string // "" = valid
		message string
	}{
		{"room moderator not an extension", func(c *Config) { c.Rooms[0].Moderators = []string{"1001", "1099"} },
			"rooms[0].moderators[1]", `"1099" is not an extension`},
		{"room moderators ok", func(c *Config) { c.Rooms[0].Moderators = []string{"1001", "1002"} }, "", ""},
		{"share who unknown", func(c *Config) { c.Policy.Meetings.Share = "admins" }, "policy.meetings.share", "not one of"},
		{"max shares zero", func(c *Config) { c.Policy.Meetings.MaxShares = 0 }, "policy.meetings.max_shares", "1..16"},
		{"hand lower negative", func(c *Config) { c.Policy.Meetings.HandLowerAfter = Duration(-time.Second) },
			"policy.meetings.hand_lower_after", "never"},
		{"hand lower never ok", func(c *Config) { c.Policy.Meetings.HandLowerAfter = 0 }, "", ""},
		{"chat history too long", func(c *Config) { c.Policy.Meetings.ChatHistory = 5000 }, "policy.meetings.chat_history", "1..1000"},
		{"chat max chars zero", func(c *Config) { c.Policy.Meetings.ChatMaxChars = 0 }, "policy.meetings.chat_max_chars", "1..10000"},
		{"record who unknown", func(c *Config) { c.Policy.Recording.Allowed = "all" }, "policy.recording.allowed", "not one of"},
		{"recording dir empty", func(c *Config) { c.Policy.Recording.Dir = " " }, "policy.recording.dir", "must not be empty"},
		{"retention too short", func(c *Config) { c.Policy.Recording.Retention = Duration(time.Minute) },
			"policy.recording.retention", "at least 1h"},
		{"retention keep ok", func(c *Config) { c.Policy.Recording.Retention = 0 }, "", ""},
		{"listen not host:port", func(c *Config) { c.HTTP.Listen = "81" }, "http.listen", "not host:port"},
		{"listen bad port", func(c *Config) { c.HTTP.Listen = ":http" }, "http.listen", "want a number"},
		{"listen port too big", func(c *Config) { c.HTTP.Listen = ":70000" }, "http.listen", "0-65535"},
		{"listen with host ok", func(c *Config) { c.HTTP.Listen = "127.0.0.1:0" }, "", ""},
		{"path without leading slash", func(c *Config) { c.HTTP.Path = "xphone/" }, "http.path", "start and end"},
		{"path without trailing slash", func(c *Config) { c.HTTP.Path = "/xphone" }, "http.path", "start and end"},
		{"path not clean", func(c *Config) { c.HTTP.Path = "/a//b/" }, "http.path", "clean"},
		{"root path ok", func(c *Config) { c.HTTP.Path = "/" }, "", ""},
		{"tls cert without key", func(c *Config) { c.HTTP.TLS.Cert = "c.pem" }, "http.tls", "both"},
		{"tls key without cert", func(c *Config) { c.HTTP.TLS.Key = "k.pem" }, "http.tls", "both"},
		{"tls both ok", func(c *Config) { c.HTTP.TLS = TLS{Cert: "c.pem", Key: "k.pem"} }, "", ""},
		{"bad origin", func(c *Config) { c.HTTP.AllowedOrigins = []string{"https://ok.example", "pbx.example"} },
			"http.allowed_origins[1]", "not an origin"},
		{"origin with path", func(c *Config) { c.HTTP.AllowedOrigins = []string{"https://a.example/x"} },
			"http.allowed_origins[0]", "scheme://host"},
		{"extension lock below address lock", func(c *Config) { c.Login.ExtensionMaxFailures = 9 },
			"login.extension_max_failures", "less than max_failures 10"},
		{"extension lock equal to address lock ok", func(c *Config) { c.Login.ExtensionMaxFailures = 10 }, "", ""},
		{"tabs cap zero", func(c *Config) { c.Limits.PerExtension.Tabs = 0 }, "limits.per_extension.tabs", "want 1 to 1000"},
		{"sessions cap too big", func(c *Config) { c.Limits.PerExtension.Sessions = 1001 }, "limits.per_extension.sessions", "out of range"},
		{"calls cap negative", func(c *Config) { c.Limits.PerExtension.Calls = -1 }, "limits.per_extension.calls", "out of range"},
		{"ws rate zero", func(c *Config) { c.Limits.WebSocket.MessagesPerSecond = 0 }, "limits.websocket.messages_per_second", "more than 0"},
		{"ws rate fraction ok", func(c *Config) { c.Limits.WebSocket.MessagesPerSecond = 0.5 }, "", ""},
		{"ws burst zero", func(c *Config) { c.Limits.WebSocket.Burst = 0 }, "limits.websocket.burst", "out of range"},
		{"ws message too small", func(c *Config) { c.Limits.WebSocket.MaxMessageBytes = 100 }, "limits.websocket.max_message_bytes", "4096 to"},
		{"metrics listen bad", func(c *Config) { c.Metrics.Listen = "9181" }, "metrics.listen", "not host:port"},
		{"metrics on all interfaces without token", func(c *Config) { c.Metrics.Listen = ":9181" }, "metrics.listen", "set metrics.token"},
		{"metrics on a LAN address without token", func(c *Config) { c.Metrics.Listen = "192.0.2.5:9181" }, "metrics.listen", "set metrics.token"},
		{"metrics on all interfaces with token ok", func(c *Config) {
			c.Metrics.Listen, c.Metrics.Token = ":9181", "0123456789abcdef"
		}, "", ""},
		{"metrics on localhost ok", func(c *Config) { c.Metrics.Listen = "localhost:9181" }, "", ""},
		{"metrics on ipv6 loopback ok", func(c *Config) { c.Metrics.Listen = "[::1]:9181" }, "", ""},
		{"metrics off ok", func(c *Config) { c.Metrics.Listen = "" }, "", ""},
		{"metrics token short", func(c *Config) { c.Metrics.Token = "secret" }, "metrics.token", "at least 16"},
		{"metrics token with space", func(c *Config) { c.Metrics.Token = "0123456789 abcdef" }, "metrics.token", "printable"},
		{"extension number not digits", func(c *Config) { c.Extensions[2].Number = "10a" },
			"extensions[2].number", `"10a" is not a number`},
		{"extension number empty", func(c *Config) { c.Extensions[1].Number = "" }, "extensions[1].number", "required"},
		{"extension number too long", func(c *Config) { c.Extensions[0].Number = strings.Repeat("1", 16) },
			"extensions[0].number", "longer than 15"},
		{"extension number 15 digits ok", func(c *Config) { c.Extensions[0].Number = strings.Repeat("1", 15) }, "", ""},
		{"extension number duplicate", func(c *Config) { c.Extensions[3].Number = "1001" },
			"extensions[3].number", "already used by extensions[0]"},
		{"extension name too long", func(c *Config) { c.Extensions[0].Name = strings.Repeat("é", 65) },
			"extensions[0].name", "limit is 64"},
		{"extension name 64 runes ok", func(c *Config) { c.Extensions[0].Name = strings.Repeat("é", 64) }, "", ""},
		{"extension name control char", func(c *Config) { c.Extensions[0].Name = "Al\r\nice" },
			"extensions[0].name", "control"},
		{"password and hash", func(c *Config) { c.Extensions[1].Password = "x"; c.Extensions[1].PasswordHash = bcryptHash },
			"extensions[1].password", "not both"},
		{"password too long", func(c *Config) { c.Extensions[1].Password = strings.Repeat("x", 73) },
			"extensions[1].password", "72 bytes"},
		{"hash not bcrypt", func(c *Config) { c.Extensions[1].PasswordHash = "$1$abc" },
			"extensions[1].password_hash", "not a bcrypt hash"},
		{"hash 2b ok", func(c *Config) { c.Extensions[1].PasswordHash = "$2b$" + bcryptHash[4:] }, "", ""},
		{"hash 2y ok", func(c *Config) { c.Extensions[1].PasswordHash = "$2y$" + bcryptHash[4:] }, "", ""},
		{"bridge to unknown trunk", func(c *Config) { c.Rooms[0].Bridge = &RoomBridge{Trunk: "nope", Number: "7000"} },
			"rooms[0].bridge.trunk", "not a configured trunk"},
		{"bridge number not digits", func(c *Config) {
			c.Trunks = []Trunk{{Name: "pbx", Address: "192.0.2.1:5060"}}
			c.Rooms[0].Bridge = &RoomBridge{Trunk: "pbx", Number: "sip:x"}
		}, "rooms[0].bridge.number", "digits"},
		{"bridge ok", func(c *Config) {
			c.Trunks = []Trunk{{Name: "pbx", Address: "192.0.2.1:5060"}}
			c.Rooms[0].Bridge = &RoomBridge{Trunk: "pbx", Number: "+497000", Permission: "national"}
		}, "", ""},
		{"trunk tls ok", func(c *Config) {
			c.Trunks = []Trunk{{Name: "pbx", Address: "192.0.2.1:5061", Transport: "tls", TLS: TrunkTLS{CAFile: "ca.pem", Cert: "c.pem", Key: "k.pem"}}}
		}, "", ""},
		{"trunk tls cert without key", func(c *Config) {
			c.Trunks = []Trunk{{Name: "pbx", Address: "192.0.2.1:5061", Transport: "tls", TLS: TrunkTLS{Cert: "c.pem"}}}
		}, "trunks[0].tls", "both or neither"},
		{"trunk tls block on udp", func(c *Config) {
			c.Trunks = []Trunk{{Name: "pbx", Address: "192.0.2.1:5060", TLS: TrunkTLS{InsecureSkipVerify: true}}}
		}, "trunks[0].tls", "only used with transport: tls"},
		{"trunk tcp ok", func(c *Config) { c.Trunks = []Trunk{{Name: "pbx", Address: "192.0.2.1:5060", Transport: "tcp"}} }, "", ""},
		{"room number not digits", func(c *Config) { c.Rooms[0].Number = "8x" }, "rooms[0].number", "not a number"},
		{"room number duplicate", func(c *Config) { c.Rooms = append(c.Rooms, Room{Number: "800"}) },
			"rooms[1].number", "already used by rooms[0]"},
		{"room clashes with extension", func(c *Config) { c.Rooms[0].Number = "1002" },
			"rooms[0].number", "already used by extensions[1]"},
		{"room video bad", func(c *Config) { c.Rooms[0].Video = "gallery" }, "rooms[0].video", "all, speaker, last_n, none"},
		{"room video empty ok", func(c *Config) { c.Rooms[0].Video = "" }, "", ""},
		{"room max participants negative", func(c *Config) { c.Rooms[0].MaxParticipants = -1 },
			"rooms[0].max_participants", "0 (no limit) or more"},
		{"speaker threshold 127", func(c *Config) { c.Policy.Speaker.Threshold = 127 }, "policy.speaker.threshold", "0..126"},
		{"speaker window zero", func(c *Config) { c.Policy.Speaker.Window = 0 }, "policy.speaker.window", "between"},
		{"video layer unknown", func(c *Config) { c.Policy.Video.OthersLayer = "tiny" }, "policy.video.others_layer", "low, medium, high"},
		{"video last_n zero", func(c *Config) { c.Policy.Video.LastN = 0 }, "policy.video.last_n", "1..64"},
		{"mixer top_k zero", func(c *Config) { c.Policy.Mixer.TopK = 0 }, "policy.mixer.top_k", "1..16"},
		{"mixer complexity 11", func(c *Config) { c.Policy.Mixer.Complexity = 11 }, "policy.mixer.complexity", "0..10"},
		{"mixer complexity -1", func(c *Config) { c.Policy.Mixer.Complexity = -1 }, "policy.mixer.complexity", "0..10"},
		{"mixer bitrate 5000", func(c *Config) { c.Policy.Mixer.Bitrate = 5000 }, "policy.mixer.bitrate", "6000..510000"},
		{"listener frame 30 ms", func(c *Config) { c.Policy.Mixer.ListenerFrameMS = 30 }, "policy.mixer.listener_frame_ms", "0 (by room size), 20, 40 or 60"},
		{"room pin not digits", func(c *Config) { c.Rooms[0].PIN = "12a4" }, "rooms[0].pin", "digits only"},
		{"room name too long", func(c *Config) { c.Rooms[0].Name = strings.Repeat("x", 65) }, "rooms[0].name", "limit"},
		{"trunk address", func(c *Config) { c.Trunks = []Trunk{{Name: "pbx"}} }, "trunks[0].address", "is not host:port"},
		{"trunk media", func(c *Config) { c.Trunks = []Trunk{{Name: "pbx", Address: "192.0.2.1:5060", Media: "zrtp"}} }, "trunks[0].media", "is not one of"},
		{"trunk sdes, ice off, opus ok", func(c *Config) {
			c.Trunks = []Trunk{{Name: "pbx", Address: "192.0.2.1:5060", Media: "sdes", ICE: "off", Codecs: []string{"opus", "PCMU"}}}
		}, "", ""},
		{"trunk plain rtp ok", func(c *Config) { c.Trunks = []Trunk{{Name: "pbx", Address: "192.0.2.1:5060", Media: "rtp"}} }, "", ""},
		{"trunk codec unknown", func(c *Config) {
			c.Trunks = []Trunk{{Name: "pbx", Address: "192.0.2.1:5060", Codecs: []string{"g729"}}}
		}, "trunks[0].codecs[0]", "is not one of"},
		{"dialplan trunk", func(c *Config) { c.Dialplan = []DialRule{{Pattern: "0.", Permission: "local"}} }, "dialplan[0].trunk", "is not a configured trunk"},
		{"dialplan pattern", func(c *Config) {
			c.Trunks = []Trunk{{Name: "pbx", Address: "192.0.2.1:5060"}}
			c.Dialplan = []DialRule{{Pattern: "0a", Trunk: "pbx", Permission: "local"}}
		}, "dialplan[0].pattern", "use digits"},
		{"dialplan permission", func(c *Config) {
			c.Trunks = []Trunk{{Name: "pbx", Address: "192.0.2.1:5060"}}
			c.Dialplan = []DialRule{{Pattern: "0.", Trunk: "pbx"}}
		}, "dialplan[0].permission", "is required"},
		{"extension permission", func(c *Config) { c.Extensions = []Extension{{Number: "1001", Permission: "world"}} }, "extensions[0].permission", "is not one of"},
		{"udp min without max", func(c *Config) { c.Media.UDPPortMin = 10000 }, "media.udp_port_min", "both"},
		{"udp min > max", func(c *Config) { c.Media.UDPPortMin, c.Media.UDPPortMax = 20000, 10000 },
			"media.udp_port_min", "greater than udp_port_max"},
		{"udp range ok", func(c *Config) { c.Media.UDPPortMin, c.Media.UDPPortMax = 10000, 10000 }, "", ""},
		{"public ip bad", func(c *Config) { c.Media.PublicIPs = []string{"203.0.113.7", "::1", "pbx.example"} },
			"media.public_ips[2]", "not an IP"},
		{"interface empty", func(c *Config) { c.Media.Interfaces = []string{" "} }, "media.interfaces[0]", "empty"},
		{"video codec unknown", func(c *Config) { c.Media.VideoCodec = "av1" }, "media.video_codec", "is not one of"},
		{"video codec h264 ok", func(c *Config) { c.Media.VideoCodec = "H264" }, "", ""},
		{"log level", func(c *Config) { c.Log.Level = "verbose" }, "log.level", "debug, info, warn, error"},
		{"log format", func(c *Config) { c.Log.Format = "xml" }, "log.format", "text, json"},
		{"max failures zero", func(c *Config) { c.Login.MaxFailures = 0 }, "login.max_failures", "positive"},
		{"slow after zero", func(c *Config) { c.Login.SlowAfter = 0 }, "login.slow_after", "positive"},
		{"slow after > max", func(c *Config) { c.Login.SlowAfter = 11 }, "login.slow_after", "greater than max_failures"},
		{"failure window zero", func(c *Config) { c.Login.FailureWindow = 0 }, "login.failure_window", "positive"},
		{"lockout zero", func(c *Config) { c.Login.Lockout = 0 }, "login.lockout", "positive"},
		{"session ttl zero", func(c *Config) { c.Login.SessionTTL = 0 }, "login.session_ttl", "positive"},
		{"no answer too short", func(c *Config) { c.Calls.NoAnswerTimeout = Duration(4 * time.Second) },
			"calls.no_answer_timeout", "out of range"},
		{"no answer too long", func(c *Config) { c.Calls.NoAnswerTimeout = Duration(11 * time.Minute) },
			"calls.no_answer_timeout", "out of range"},
		{"no answer bounds ok", func(c *Config) { c.Calls.NoAnswerTimeout = Duration(10 * time.Minute) }, "", ""},
		{"reconnect grace too short", func(c *Config) { c.Calls.ReconnectGrace = Duration(time.Second) },
			"calls.reconnect_grace", "out of range"},
		{"history cap zero", func(c *Config) { c.History.MaxEntries = 0 }, "history.max_entries", "out of range"},
		{"history cap too big", func(c *Config) { c.History.MaxEntries = 10001 }, "history.max_entries", "out of range"},
		{"history age of minutes", func(c *Config) { c.History.MaxAge = Duration(time.Minute) }, "history.max_age", "out of range"},
		{"history without age limit ok", func(c *Config) { c.History.MaxAge = 0 }, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertValidation(t, tt.mutate, tt.path, tt.message)
		})
	}
}

// assertValidation applies mutate to a valid config and checks that it
// stays valid (path "") or has exactly the one problem at path.
func assertValidation(t *testing.T, mutate func(*Config), path, message string) {
	t.Helper()
	c := validBase(t)
	mutate(c)
	err := c.Validate()
	if path == "" {
		if err != nil {
			t.Fatalf("want valid, got %v", err)
		}
		return
	}
	assertOneProblem(t, err, path, message)
}

func assertOneProblem(t *testing.T, err error, path, message string) {
	t.Helper()
	var verr *ValidationError
	if !errors.As(err, &verr) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v, want *ValidationError wrapping ErrInvalid", err)
	}
	if len(verr.Problems) != 1 {
		t.Fatalf("want exactly one problem, got %v", err)
	}
	p := verr.Problems[0]
	if p.Path != path || !strings.Contains(p.Message, message) {
		t.Errorf("problem = %q, want path %q and message containing %q", p, path, message)
	}
	if !strings.Contains(err.Error(), path+": ") {
		t.Errorf("Error() %q does not name %q", err, path)
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	doc := `
http:
  listen: "nope"
  path: "x"
extensions:
  - number: "1001"
  - number: "10a"
  - number: "1001"
rooms:
  - number: "1001"
    video: gallery
trunks:
  - name: pbx
log:
  level: loud
`
	_, err := Parse([]byte(doc))
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("err = %v, want *ValidationError", err)
	}
	want := []string{
		"http.listen", "http.path", "log.level", "extensions[1].number", "extensions[2].number",
		"rooms[0].number", "rooms[0].video", "trunks[0].address",
	}
	got := make(map[string]bool)
	for _, p := range verr.Problems {
		got[p.Path] = true
	}
	for _, w := range want {
		if !got[w] {
			t.Errorf("missing problem for %s in:\n%v", w, err)
		}
	}
	if len(verr.Problems) != len(want) {
		t.Errorf("got %d problems, want %d:\n%v", len(verr.Problems), len(want), err)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want)+1 || !strings.HasPrefix(lines[0], "configs: invalid configuration (8 problems)") {
		t.Errorf("Error() is not one problem per line:\n%s", err)
	}
}

func TestValidationErrorFormat(t *testing.T) {
	err := &ValidationError{Problems: []Problem{{"a.b", "is bad"}, {"c[0]", "is worse"}}}
	want := "invalid configuration (2 problems):\n  a.b: is bad\n  c[0]: is worse"
	if err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
	if !errors.Is(err, ErrInvalid) {
		t.Error("errors.Is(ErrInvalid) = false")
	}
}

func TestValidateCluster(t *testing.T) {
	ok := func() *Cluster {
		return &Cluster{NodeID: "node-1.a", TTL: Duration(6 * time.Second), Redis: ClusterRedis{Addrs: []string{"127.0.0.1:6379"}}}
	}
	tests := []struct {
		name   string
		mutate func(c *Cluster)
		path   string // "" = valid
	}{
		{"valid", func(*Cluster) {}, ""},
		{"node id default (host name)", func(c *Cluster) { c.NodeID = "" }, ""},
		{"node id with a space", func(c *Cluster) { c.NodeID = "node 1" }, "cluster.node_id"},
		{"node id too long", func(c *Cluster) { c.NodeID = strings.Repeat("n", 65) }, "cluster.node_id"},
		{"no redis", func(c *Cluster) { c.Redis.Addrs = nil }, "cluster.redis.addrs"},
		{"redis addr without port", func(c *Cluster) { c.Redis.Addrs = []string{"redis.local"} }, "cluster.redis.addrs[0]"},
		{"sentinels", func(c *Cluster) {
			c.Redis = ClusterRedis{Addrs: []string{"s1:26379", "s2:26379"}, MasterName: "mymaster", DB: 2}
		}, ""},
		{"db on a Redis Cluster", func(c *Cluster) { c.Redis.Addrs = []string{"r1:6379", "r2:6379"}; c.Redis.DB = 1 }, "cluster.redis.db"},
		{"db out of range", func(c *Cluster) { c.Redis.DB = 16 }, "cluster.redis.db"},
		{"ttl too short", func(c *Cluster) { c.TTL = Duration(500 * time.Millisecond) }, "cluster.ttl"},
		{"ttl default", func(c *Cluster) { c.TTL = 0 }, ""},
		{"store redis", func(c *Cluster) { c.Store = "redis" }, ""},
		{"store sqlite (nodes on one machine)", func(c *Cluster) { c.Store = "sqlite" }, ""},
		{"store unknown", func(c *Cluster) { c.Store = "postgres" }, "cluster.store"},
		{"advertise not host:port", func(c *Cluster) { c.Advertise = []string{"node1"} }, "cluster.advertise[0]"},
		{"prefix of a second deployment", func(c *Cluster) { c.Redis.Prefix = "acme-prod" }, ""},
		{"prefix with a hash tag", func(c *Cluster) { c.Redis.Prefix = "{acme}" }, "cluster.redis.prefix"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validBase(t)
			c.Cluster = ok()
			tt.mutate(c.Cluster)
			err := c.Validate()
			if tt.path == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) != 1 || ve.Problems[0].Path != tt.path {
				t.Fatalf("want one problem at %s, got %v", tt.path, err)
			}
		})
	}
}

func TestClusterBlockParses(t *testing.T) {
	c, err := Parse([]byte("cluster:\n  node_id: n1\n  ttl: 3s\n  redis:\n    addrs: [\"10.0.0.5:6379\"]\n    password: s3cret\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Cluster == nil || c.Cluster.NodeID != "n1" || c.Cluster.TTL.D() != 3*time.Second || c.Cluster.Redis.Password != "s3cret" {
		t.Fatalf("parsed cluster %+v", c.Cluster)
	}
	if d, _ := Default(); d.Cluster != nil {
		t.Fatal("the default config has a cluster; the single node must need no Redis")
	}
}
