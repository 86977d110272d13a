package configs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestShippedFilesLoad(t *testing.T) {
	tests := []struct {
		name string
		load func() (*Config, error)
	}{
		{"embedded default", Default},
		{"default.yaml", func() (*Config, error) { return Load("default.yaml") }},
		{"xphone.example.yaml", func() (*Config, error) { return Load("xphone.example.yaml") }},
		{"embedded example", func() (*Config, error) { return Parse(ExampleYAML()) }},
		{"embedded default bytes", func() (*Config, error) { return Parse(DefaultYAML()) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.load()
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			if !c.Xphone.Enabled || c.HTTP.Listen != ":81" || c.HTTP.Path != "/xphone/" {
				t.Errorf("unexpected basics: %+v %+v", c.Xphone, c.HTTP)
			}
			if len(c.Extensions) == 0 {
				t.Error("no extensions")
			}
		})
	}
}

func TestDefaultContents(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ num, name string }{{"1001", "Alice"}, {"1002", "Bob"}, {"1003", "Carol"}, {"1004", "Dave"}}
	if len(c.Extensions) != len(want) {
		t.Fatalf("got %d extensions, want %d", len(c.Extensions), len(want))
	}
	for i, w := range want {
		e := c.Extensions[i]
		if e.Number != w.num || e.Name != w.name || !e.Xphone || e.HasSecret() {
			t.Errorf("extensions[%d] = %+v, want %s %s, xphone, no secret", i, e, w.num, w.name)
		}
		if e.Admin != (w.num == "1001") {
			t.Errorf("extensions[%d].admin = %v", i, e.Admin)
		}
	}
	if len(c.Rooms) != 1 || c.Rooms[0].Number != "800" || c.Rooms[0].Video != VideoAll {
		t.Errorf("default rooms %+v, want the demo video room 800", c.Rooms)
	}
	if len(c.Trunks)+len(c.Dialplan) != 0 {
		t.Errorf("default has trunks/dialplan: %+v", c)
	}
}

func TestDefaultIsFreshCopy(t *testing.T) {
	a, _ := Default()
	a.Extensions[0].Name = "changed"
	b, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if b.Extensions[0].Name != "Alice" {
		t.Errorf("Default returned shared state: %q", b.Extensions[0].Name)
	}
}

func TestDefaultsWhenKeysOmitted(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want func(*Config)
	}{
		{"empty file", "", func(*Config) {}},
		{"comments only", "# nothing\n", func(*Config) {}},
		{"partial login keeps the rest", "login:\n  max_failures: 20\n", func(c *Config) { c.Login.MaxFailures = 20 }},
		{"partial limits keep the rest", "limits:\n  per_extension: {tabs: 3}\n", func(c *Config) { c.Limits.PerExtension.Tabs = 3 }},
		{"metrics listener can be switched off", "metrics: {listen: \"\"}\n", func(c *Config) { c.Metrics.Listen = "" }},
		{"partial http keeps path", "http:\n  listen: \"127.0.0.1:8443\"\n", func(c *Config) { c.HTTP.Listen = "127.0.0.1:8443" }},
		{"history without an age limit", "history:\n  max_age: 0s\n", func(c *Config) { c.History.MaxAge = 0 }},
		{"xphone can be disabled", "xphone:\n  enabled: false\n", func(c *Config) { c.Xphone.Enabled = false }},
		{"partial policy keeps the rest", "policy:\n  mixer: {top_k: 5}\n", func(c *Config) { c.Policy.Mixer.TopK = 5 }},
		{"mixer complexity 0 is 0", "policy:\n  mixer: {complexity: 0}\n", func(c *Config) { c.Policy.Mixer.Complexity = 0 }},
		{"mixer settings as written, dtx off", "policy:\n  mixer: {complexity: 8, dtx: false, bitrate: 16000}\n",
			func(c *Config) {
				c.Policy.Mixer.Complexity, c.Policy.Mixer.DTX, c.Policy.Mixer.Bitrate = 8, false, 16000
			}},
		{"room video defaults to all", "rooms:\n  - number: \"800\"\n  - number: \"801\"\n    video: none\n",
			func(c *Config) { c.Rooms = []Room{{Number: "800", Video: "all"}, {Number: "801", Video: "none"}} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			want := &Config{
				Xphone:  Xphone{Enabled: true},
				HTTP:    HTTP{Listen: ":81", Path: "/xphone/"},
				Calls:   Calls{NoAnswerTimeout: Duration(30 * time.Second), CallWaiting: true, ReconnectGrace: Duration(60 * time.Second)},
				Server:  ServerCfg{DrainGrace: Duration(5 * time.Minute)},
				History: History{MaxEntries: 200, MaxAge: Duration(90 * 24 * time.Hour)},
				Login: Login{SlowAfter: 3, MaxFailures: 10, ExtensionMaxFailures: 30, FailureWindow: Duration(15 * time.Minute),
					Lockout: Duration(15 * time.Minute), SessionTTL: Duration(12 * time.Hour)},
				Limits: Limits{PerExtension: ExtensionLimits{Sessions: 10, Tabs: 10, Calls: 6},
					WebSocket: WebSocketLimits{MessagesPerSecond: 20, Burst: 60, MaxMessageBytes: 65536}},
				Metrics: Metrics{Listen: "127.0.0.1:9181"},
				Log:     Log{Level: "info", Format: "text"},
				Policy: Policy{
					Speaker: SpeakerPolicy{Threshold: 50, Window: Duration(300 * time.Millisecond),
						MinTalk: Duration(250 * time.Millisecond), SwitchHold: Duration(time.Second),
						Release: Duration(600 * time.Millisecond), Margin: 6},
					Mixer: MixerPolicy{TopK: 3, Bitrate: 32000, Complexity: 5, DTX: true, ListenerFrameMS: 0},
					Video: VideoPolicy{SpeakerLayer: "high", OthersLayer: "low", MaxLayer: "high", LastN: 4},
					Meetings: MeetingsPolicy{Share: "everyone", MaxShares: 1, SelfUnmute: true, HandLowerAfter: Duration(3 * time.Second),
						ChatHistory: 100, ChatMaxChars: 1000},
					Recording: RecordingPolicy{Allowed: "moderators", Dir: "recordings", Retention: Duration(720 * time.Hour)},
				},
			}
			tt.want(want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // substrings of the error
	}{
		{"unknown top-level key", "xphone:\n  enabled: true\nfoo: 1\n", []string{`line 3: unknown key "foo" in the top level`}},
		{"unknown nested key", "http:\n  listn: \":81\"\n", []string{`line 2: unknown key "listn" in http`}},
		{"unknown key in list item", "extensions:\n  - number: \"1\"\n    pasword: x\n", []string{`line 3: unknown key "pasword" in an extensions entry`}},
		{"unknown tls key", "http:\n  tls:\n    crt: x\n", []string{`line 3: unknown key "crt" in http.tls`}},
		{"unknown policy key", "policy:\n  mode: speaker\n", []string{`line 2: unknown key "mode" in policy`}},
		{"all unknown keys reported", "foo: 1\nbar: 2\n", []string{"line 1", "foo", "line 2", "bar"}},
		{"wrong type", "login:\n  max_failures: many\n", []string{"line 2", "many"}},
		{"port out of range", "media:\n  udp_port_max: 70000\n", []string{"line 2", "70000"}},
		{"bad duration", "calls:\n  no_answer_timeout: soon\n", []string{"line 2", "soon", "invalid duration"}},
		{"negative duration", "login:\n  lockout: -1m\n", []string{"line 2", "-1m", "negative"}},
		{"syntax error", "http: [\n", []string{"line"}},
		{"two documents", "xphone: {enabled: true}\n---\nxphone: {enabled: false}\n", []string{"more than one YAML document"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml))
			if !errors.Is(err, ErrDecode) {
				t.Fatalf("err = %v, want ErrDecode", err)
			}
			if errors.Is(err, ErrInvalid) {
				t.Errorf("decode error also matches ErrInvalid: %v", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestLoadErrorsNameThePath(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("extensions:\n  - number: \"10a\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.yaml")

	_, err := Load(missing)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing file: %v", err)
	}
	_, err = Load(bad)
	var verr *ValidationError
	if !errors.Is(err, ErrInvalid) || !errors.As(err, &verr) || !strings.Contains(err.Error(), bad) {
		t.Fatalf("invalid file: %v", err)
	}
	if len(verr.Problems) != 1 || verr.Problems[0].Path != "extensions[0].number" {
		t.Errorf("problems = %+v", verr.Problems)
	}
}
