package web_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"xphone/internal/server"
)

// guardedServer runs testConfig plus extra on the fake clock, logging into
// logs.
func guardedServer(t *testing.T, extra string) (*server.Server, *fakeClock, *lockedBuffer) {
	clk, logs := newFakeClock(), &lockedBuffer{}
	srv := startServer(t, extra+testConfig, func(o *server.Options) {
		o.Now = clk.Now
		o.Logger = slog.New(slog.NewTextHandler(logs, nil))
	})
	return srv, clk, logs
}

func logged(logs *lockedBuffer, want string) bool {
	return strings.Contains(strings.Join(logs.lines(), "\n"), want)
}

// TestWebSocketOriginMustMatchExactly: scheme, host and port of the Origin
// must be this server's (or an allowed origin's); no Origin is refused.
func TestWebSocketOriginMustMatchExactly(t *testing.T) {
	srv, clk, logs := guardedServer(t, "http: {allowed_origins: [\"https://pbx.example.com\"]}\n")
	b := newBrowser(t, srv)
	b.login("1001", "pw1001")
	u, _ := url.Parse(b.base)
	host, port := u.Hostname(), u.Port()
	tests := []struct {
		name   string
		origin []string // nil: no Origin header
		ok     bool
	}{
		{"own origin", []string{"https://" + host + ":" + port}, true},
		{"own origin, upper case", []string{"HTTPS://" + strings.ToUpper(host) + ":" + port}, true},
		{"allowed origin, default port", []string{"https://pbx.example.com"}, true},
		{"allowed origin, explicit default port", []string{"https://pbx.example.com:443"}, true},
		{"no Origin", nil, false},
		{"empty Origin", []string{""}, false},
		{"null Origin", []string{"null"}, false},
		{"plain http", []string{"http://" + host + ":" + port}, false},
		{"other port", []string{"https://" + host + ":1" + port}, false},
		{"other host, same port", []string{"https://localhost:" + port}, false},
		{"allowed host, other port", []string{"https://pbx.example.com:8443"}, false},
		{"allowed host, plain http", []string{"http://pbx.example.com"}, false},
		{"foreign", []string{"https://evil.example"}, false},
		{"two Origins", []string{"https://" + host + ":" + port, "https://evil.example"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk.Advance(time.Minute) // one security line per source per minute
			h := http.Header{}
			if tt.origin != nil {
				h["Origin"] = tt.origin
			}
			tab, resp, err := b.openTab(h)
			if tt.ok {
				if err != nil {
					t.Fatalf("refused: %v (%v)", err, resp)
				}
				tab.waitFor("hello", nil)
				return
			}
			if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
				t.Fatalf("err %v resp %v, want 403", err, resp)
			}
		})
	}
	for _, want := range []string{`msg="security: websocket refused" stream=security remote=127.0.0.1 ext=1001 reason="missing Origin"`,
		`reason="foreign Origin" origin=http://127.0.0.1:`} {
		if !logged(logs, want) {
			t.Errorf("no log line with %s", want)
		}
	}
}

// TestWebSocketRateLimit: a tab has a bucket of burst messages refilled at
// messages_per_second; the message beyond it closes the tab with 4429.
func TestWebSocketRateLimit(t *testing.T) {
	srv, clk, logs := guardedServer(t, "limits: {websocket: {messages_per_second: 1, burst: 5}}\n")
	b := newBrowser(t, srv)
	b.login("1001", "pw1001")
	tab := b.mustTab()
	teleport := func(n int) {
		for i := range n {
			tab.send(map[string]any{"type": "teleport", "req": "t" + string(rune('a'+i))})
		}
	}
	teleport(5) // the burst
	tab.waitFor("error", map[string]any{"req": "te"})
	clk.Advance(time.Second) // one token back
	tab.send(map[string]any{"type": "teleport", "req": "refilled"})
	tab.waitFor("error", map[string]any{"req": "refilled"})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = tab.conn.Write(ctx, websocket.MessageText, []byte(`{"type":"teleport","req":"over"}`))
	code, reason := tab.closeStatus(5 * time.Second)
	if code != 4429 || !strings.Contains(reason, "Too many messages") {
		t.Fatalf("closed with %d %q, want 4429 Too many messages", code, reason)
	}
	if tab.find("error", map[string]any{"req": "over"}) != nil {
		t.Error("the message over the limit was handled")
	}
	if !logged(logs, `msg="security: websocket rate limit" stream=security remote=127.0.0.1 ext=1001 per_second=1 burst=5`) {
		t.Errorf("no rate-limit security line in:\n%s", strings.Join(logs.lines(), "\n"))
	}
	if m := scrape(t, srv); m[`xphone_web_security_events_total{event="websocket_rate_limited"}`] != 1 {
		t.Errorf("rate-limited tabs counter %v, want 1", m[`xphone_web_security_events_total{event="websocket_rate_limited"}`])
	}
}

// TestWebSocketMessageSizeBound: limits.websocket.max_message_bytes closes
// the socket with 1009 and a security line.
func TestWebSocketMessageSizeBound(t *testing.T) {
	srv, _, logs := guardedServer(t, "limits: {websocket: {max_message_bytes: 4096}}\n")
	b := newBrowser(t, srv)
	b.login("1001", "pw1001")
	tab := b.mustTab()
	tab.send(map[string]any{"type": "teleport", "req": "small", "sdp": strings.Repeat("a", 3900)})
	tab.waitFor("error", map[string]any{"req": "small"})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = tab.conn.Write(ctx, websocket.MessageText, []byte(`{"type":"dial","sdp":"`+strings.Repeat("a", 4100)+`"}`))
	if code, reason := tab.closeStatus(5 * time.Second); code != websocket.StatusMessageTooBig {
		t.Fatalf("closed with %d %q, want 1009", code, reason)
	}
	if !logged(logs, `msg="security: websocket message too big" stream=security remote=127.0.0.1 ext=1001 max_bytes=4096`) {
		t.Error("no security line for the oversized message")
	}
}
