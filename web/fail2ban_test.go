package web_test

import (
	"bufio"
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"xphone/internal/server"
)

// lockedBuffer collects a server's log.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Split(strings.TrimSpace(l.b.String()), "\n")
}

// filterRegexes reads the shipped filter's failregex and ignoreregex lines
// and turns fail2ban's <HOST> into a named group, as fail2ban does.
func filterRegexes(t *testing.T) (fail, ignore []*regexp.Regexp) {
	t.Helper()
	data, err := os.ReadFile("../docs/fail2ban/xphone.conf")
	if err != nil {
		t.Fatal(err)
	}
	var in *[]*regexp.Regexp
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "failregex ="):
			in, line = &fail, strings.TrimPrefix(line, "failregex =")
		case strings.HasPrefix(line, "ignoreregex ="):
			in, line = &ignore, strings.TrimPrefix(line, "ignoreregex =")
		case in != nil && strings.HasPrefix(line, " "):
		default:
			in = nil
			continue
		}
		if re := strings.TrimSpace(line); re != "" {
			re = strings.ReplaceAll(re, "<HOST>", `(?P<host>[0-9a-fA-F:.]+)`)
			*in = append(*in, regexp.MustCompile(re))
		}
	}
	if len(fail) != 2 || len(ignore) != 2 {
		t.Fatalf("found %d failregex and %d ignoreregex lines, want 2 each", len(fail), len(ignore))
	}
	return fail, ignore
}

// hostOf is the address fail2ban would ban for line, or "".
func hostOf(fail, ignore []*regexp.Regexp, line string) string {
	for _, re := range ignore {
		if re.MatchString(line) {
			return ""
		}
	}
	for _, re := range fail {
		if m := re.FindStringSubmatch(line); m != nil {
			return m[re.SubexpIndex("host")]
		}
	}
	return ""
}

// fail2banConfig makes every kind of security line easy to produce.
const fail2banConfig = "limits: {websocket: {messages_per_second: 1, burst: 2, max_message_bytes: 4096}, per_extension: {tabs: 1}}\n"

// makeSecurityLines provokes each security line once from 127.0.0.1.
func makeSecurityLines(t *testing.T, srv *server.Server) {
	b := newBrowser(t, srv)
	b.login("1002", "pw1002")
	_, _, _ = b.openTab(http.Header{"Origin": {"https://evil.example"}}) // websocket refused
	tab := b.mustTab()
	if extra, _, err := b.openTab(nil); err == nil { // limit reached: tabs (ignored)
		extra.closeStatus(5 * time.Second)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for range 3 { // websocket rate limit
		_ = tab.conn.Write(ctx, websocket.MessageText, []byte(`{"type":"teleport"}`))
	}
	tab.closeStatus(5 * time.Second)
	waitUntil(t, "the closed tab gone", func() bool { return scrape(t, srv)["xphone_tabs_open"] == 0 })
	big := b.mustTab() // websocket message too big
	_ = big.conn.Write(ctx, websocket.MessageText, []byte(`{"type":"dial","sdp":"`+strings.Repeat("a", 5000)+`"}`))
	big.closeStatus(5 * time.Second)
	for i := 0; i < 4; i++ { // 3 failures, then the lock-out
		b.post("api/login", map[string]string{"ext": "1001", "password": "wrong"})
	}
}

func TestFail2banFilterMatchesRealSecurityLines(t *testing.T) {
	fail, ignore := filterRegexes(t)
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			logs := &lockedBuffer{}
			var h slog.Handler = slog.NewTextHandler(logs, nil)
			if format == "json" {
				h = slog.NewJSONHandler(logs, nil)
			}
			clk := newFakeClock()
			srv := startServer(t, fail2banConfig+testConfig, func(o *server.Options) { o.Logger, o.Now = slog.New(h), clk.Now })
			makeSecurityLines(t, srv)
			kinds := map[string]int{}
			for _, line := range logs.lines() {
				host := hostOf(fail, ignore, line)
				kind := securityKind(line)
				switch {
				case kind == "limit reached":
					if host != "" {
						t.Errorf("a logged-in user's limit line would ban: %s", line)
					}
				case kind != "":
					if host != "127.0.0.1" {
						t.Errorf("security line not matched: %s", line)
					}
				case host != "":
					t.Errorf("ordinary line matched: %s", line)
				}
				kinds[kind]++
			}
			for _, k := range []string{"login failed", "login locked out", "websocket refused", "websocket rate limit",
				"websocket message too big", "limit reached"} {
				if kinds[k] == 0 {
					t.Errorf("no %q line produced; got %v", k, kinds)
				}
			}
		})
	}
}

// securityKind is the event of a security line ("login failed"), or "".
func securityKind(line string) string {
	_, rest, ok := strings.Cut(line, "security: ")
	if !ok {
		return ""
	}
	kind, _, _ := strings.Cut(rest, `"`)
	return kind
}
