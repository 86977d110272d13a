package web

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// origin is a normalised scheme://host:port.
type origin struct{ scheme, host, port string }

// parseOrigin reads an Origin header value or an allowed_origins entry.
func parseOrigin(s string) (origin, bool) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return origin{}, false
	}
	return newOrigin(u.Scheme, u.Host)
}

// newOrigin normalises scheme and host[:port]; the port defaults to the
// scheme's.
func newOrigin(scheme, hostPort string) (origin, bool) {
	scheme = strings.ToLower(scheme)
	var def string
	switch scheme {
	case "https":
		def = "443"
	case "http":
		def = "80"
	default:
		return origin{}, false
	}
	host, port, err := net.SplitHostPort(hostPort)
	if err != nil { // no port
		host, port = strings.Trim(hostPort, "[]"), def
	}
	if host == "" || port == "" {
		return origin{}, false
	}
	return origin{scheme: scheme, host: strings.ToLower(host), port: port}, true
}

// originProblem tells why the upgrade request's Origin is refused, or "".
// The Origin must name this server exactly (scheme, host and port, as the
// browser reached it) or an http.allowed_origins entry; a request without
// an Origin is refused, since every browser sends one on a WebSocket.
func (s *Server) originProblem(r *http.Request) string {
	values := r.Header.Values("Origin")
	if len(values) > 1 {
		return "several Origin headers"
	}
	raw := r.Header.Get("Origin")
	if raw == "" {
		return "missing Origin"
	}
	got, ok := parseOrigin(raw)
	if !ok {
		return "malformed Origin"
	}
	scheme := "https"
	if r.TLS == nil {
		scheme = "http"
	}
	if self, ok := newOrigin(scheme, r.Host); ok && got == self {
		return ""
	}
	for _, a := range s.cfg.HTTP.AllowedOrigins {
		if allowed, ok := parseOrigin(a); ok && got == allowed {
			return ""
		}
	}
	return "foreign Origin"
}

// tokenBucket limits one tab's message rate: it holds up to burst tokens,
// refills rate per second, and each message takes one. Not safe for
// concurrent use: the tab's read loop owns it.
type tokenBucket struct {
	rate, burst, tokens float64
	last                time.Time
}

func newTokenBucket(rate float64, burst int, now time.Time) *tokenBucket {
	return &tokenBucket{rate: rate, burst: float64(burst), tokens: float64(burst), last: now}
}

// take spends one token if there is one.
func (b *tokenBucket) take(now time.Time) bool {
	if d := now.Sub(b.last); d > 0 {
		b.tokens = min(b.burst, b.tokens+d.Seconds()*b.rate)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
