package configs

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits enforced by Validate.
const (
	MaxNumberDigits    = 15 // longest extension or room number (E.164 length)
	MaxNameLength      = 64 // longest extension or room name, in characters
	MaxPasswordBytes   = 72 // bcrypt ignores everything after 72 bytes
	MinNoAnswerTimeout = 5 * time.Second
	MaxNoAnswerTimeout = 10 * time.Minute
	MinReconnectGrace  = 5 * time.Second
	MaxReconnectGrace  = 10 * time.Minute
	MaxDrainGrace      = 24 * time.Hour
	MaxHistoryEntries  = 10000
	MaxHistoryAge      = 10 * 365 * 24 * time.Hour
)

// Validate checks the whole configuration and returns nil or a
// *ValidationError listing every problem with its key path. A room with an
// empty video mode is accepted and means "all" (Parse fills it in).
func (c *Config) Validate() error {
	var ps problems
	c.HTTP.validate(&ps)
	c.Calls.validate(&ps)
	if g := c.Server.DrainGrace.D(); g < 0 || g > MaxDrainGrace {
		ps.add("server.drain_grace", "%v is out of range, want 0 to %v", g, MaxDrainGrace)
	}
	c.History.validate(&ps)
	c.Media.validate(&ps)
	c.Login.validate(&ps)
	c.Limits.validate(&ps)
	c.Metrics.validate(&ps)
	c.Log.validate(&ps)
	exts := validateExtensions(&ps, c.Extensions)
	validateRooms(&ps, c.Rooms, exts)
	c.Policy.validate(&ps)
	validateTrunks(&ps, c.Trunks, c.Dialplan, c.Extensions)
	validateBridges(&ps, c.Rooms, c.Trunks)
	validateTransit(&ps, c.Transit, c.Trunks)
	c.Cluster.validate(&ps)
	return ps.err()
}

func (h HTTP) validate(ps *problems) {
	if err := checkHostPort(h.Listen); err != nil {
		ps.add("http.listen", "%q %v", h.Listen, err)
	}
	if err := checkURLPath(h.Path); err != nil {
		ps.add("http.path", "%q %v", h.Path, err)
	}
	if (h.TLS.Cert == "") != (h.TLS.Key == "") {
		ps.add("http.tls", "cert and key must both be set or both be empty")
	}
	for i, o := range h.AllowedOrigins {
		if err := checkOrigin(o); err != nil {
			ps.add(fmt.Sprintf("http.allowed_origins[%d]", i), "%q %v", o, err)
		}
	}
}

func checkHostPort(s string) error {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("is not host:port (e.g. \":81\" or \"192.0.2.1:443\")")
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil || !isDigits(port) {
		return fmt.Errorf("has port %q, want a number 0-65535", port)
	}
	return nil
}

func checkURLPath(p string) error {
	if !strings.HasPrefix(p, "/") || !strings.HasSuffix(p, "/") {
		return fmt.Errorf("must start and end with \"/\" (e.g. \"/xphone/\")")
	}
	if p != "/" && path.Clean(p)+"/" != p {
		return fmt.Errorf("must be a clean path without \"//\", \".\" or \"..\" segments")
	}
	if strings.ContainsAny(p, "?#% \t") {
		return fmt.Errorf("must not contain '?', '#', '%%' or spaces")
	}
	return nil
}

func checkOrigin(o string) error {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("is not an origin like \"https://pbx.example.com\"")
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("must be scheme://host[:port] only")
	}
	return nil
}

func (c Calls) validate(ps *problems) {
	d := c.NoAnswerTimeout.D()
	if d < MinNoAnswerTimeout || d > MaxNoAnswerTimeout {
		ps.add("calls.no_answer_timeout", "%v is out of range, want %v to %v", d, MinNoAnswerTimeout, MaxNoAnswerTimeout)
	}
	if g := c.ReconnectGrace.D(); g < MinReconnectGrace || g > MaxReconnectGrace {
		ps.add("calls.reconnect_grace", "%v is out of range, want %v to %v", g, MinReconnectGrace, MaxReconnectGrace)
	}
}

func (h History) validate(ps *problems) {
	if h.MaxEntries < 1 || h.MaxEntries > MaxHistoryEntries {
		ps.add("history.max_entries", "%d is out of range, want 1 to %d", h.MaxEntries, MaxHistoryEntries)
	}
	if a := h.MaxAge.D(); a > MaxHistoryAge || (a > 0 && a < time.Hour) {
		ps.add("history.max_age", "%v is out of range, want 0 (no limit) or 1h to %v", a, MaxHistoryAge)
	}
}

func (m Media) validate(ps *problems) {
	lo, hi := m.UDPPortMin, m.UDPPortMax
	switch {
	case lo == 0 && hi == 0:
	case lo == 0 || hi == 0:
		ps.add("media.udp_port_min", "udp_port_min and udp_port_max must both be 0 (any port) or both set")
	case lo > hi:
		ps.add("media.udp_port_min", "%d is greater than udp_port_max %d", lo, hi)
	}
	for i, s := range m.PublicIPs {
		if _, err := netip.ParseAddr(s); err != nil {
			ps.add(fmt.Sprintf("media.public_ips[%d]", i), "%q is not an IP address", s)
		}
	}
	for i, s := range m.Interfaces {
		if strings.TrimSpace(s) == "" {
			ps.add(fmt.Sprintf("media.interfaces[%d]", i), "must not be empty")
		}
	}
	switch strings.ToLower(m.VideoCodec) {
	case "", "vp8", "h264":
	default:
		ps.add("media.video_codec", "%q is not one of vp8, h264", m.VideoCodec)
	}
}

func (l Login) validate(ps *problems) {
	if l.MaxFailures <= 0 {
		ps.add("login.max_failures", "%d must be positive", l.MaxFailures)
	}
	if l.SlowAfter <= 0 {
		ps.add("login.slow_after", "%d must be positive", l.SlowAfter)
	} else if l.MaxFailures > 0 && l.SlowAfter > l.MaxFailures {
		ps.add("login.slow_after", "%d is greater than max_failures %d", l.SlowAfter, l.MaxFailures)
	}
	if l.MaxFailures > 0 && l.ExtensionMaxFailures < l.MaxFailures {
		ps.add("login.extension_max_failures", "%d is less than max_failures %d: one address could then lock the owner out",
			l.ExtensionMaxFailures, l.MaxFailures)
	}
	positive := []struct {
		key string
		d   Duration
	}{{"failure_window", l.FailureWindow}, {"lockout", l.Lockout}, {"session_ttl", l.SessionTTL}}
	for _, p := range positive {
		if p.d <= 0 {
			ps.add("login."+p.key, "%v must be positive", p.d)
		}
	}
}

func (l Log) validate(ps *problems) {
	switch l.Level {
	case "debug", "info", "warn", "error":
	default:
		ps.add("log.level", "%q is not one of debug, info, warn, error", l.Level)
	}
	switch l.Format {
	case "text", "json":
	default:
		ps.add("log.format", "%q is not one of text, json", l.Format)
	}
}

// checkNumber reports why s is not a valid dialable number, or "".
func checkNumber(s string) string {
	switch {
	case s == "":
		return "is required"
	case !isDigits(s):
		return fmt.Sprintf("%q is not a number (digits 0-9 only)", s)
	case len(s) > MaxNumberDigits:
		return fmt.Sprintf("%q is longer than %d digits", s, MaxNumberDigits)
	}
	return ""
}

// checkName reports why a display name is unusable, or "".
func checkName(s string) string {
	if n := utf8.RuneCountInString(s); n > MaxNameLength {
		return fmt.Sprintf("is %d characters long, the limit is %d", n, MaxNameLength)
	}
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return "must not contain control characters"
	}
	return ""
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
