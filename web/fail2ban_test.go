package web_test

import (
	"bufio"
	"bytes"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

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

// failRegexes reads the shipped filter and turns fail2ban's <HOST> into a
// named group, as fail2ban does.
func failRegexes(t *testing.T) []*regexp.Regexp {
	t.Helper()
	data, err := os.ReadFile("../docs/fail2ban/xphone.conf")
	if err != nil {
		t.Fatal(err)
	}
	var out []*regexp.Regexp
	in := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "failregex ="):
			in, line = true, strings.TrimPrefix(line, "failregex =")
		case in && strings.HasPrefix(line, " "):
		default:
			in = false
			continue
		}
		re := strings.ReplaceAll(strings.TrimSpace(line), "<HOST>", `(?P<host>[0-9a-fA-F:.]+)`)
		out = append(out, regexp.MustCompile(re))
	}
	if len(out) != 2 {
		t.Fatalf("found %d failregex lines, want 2", len(out))
	}
	return out
}

func hostOf(res []*regexp.Regexp, line string) string {
	for _, re := range res {
		if m := re.FindStringSubmatch(line); m != nil {
			return m[re.SubexpIndex("host")]
		}
	}
	return ""
}

func TestFail2banFilterMatchesRealSecurityLines(t *testing.T) {
	res := failRegexes(t)
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			logs := &lockedBuffer{}
			var h slog.Handler = slog.NewTextHandler(logs, nil)
			if format == "json" {
				h = slog.NewJSONHandler(logs, nil)
			}
			srv := startServer(t, testConfig, func(o *server.Options) { o.Logger = slog.New(h) })
			b := newBrowser(t, srv)
			b.login("1002", "pw1002")
			_, _, _ = b.openTab(http.Header{"Origin": {"https://evil.example"}})
			for i := 0; i < 4; i++ { // 3 failures, then the lock-out
				b.post("api/login", map[string]string{"ext": "1001", "password": "wrong"})
			}
			security, matched := 0, 0
			for _, line := range logs.lines() {
				host := hostOf(res, line)
				if strings.Contains(line, "security: ") {
					security++
					if host != "127.0.0.1" {
						t.Errorf("security line not matched: %s", line)
					}
					matched++
				} else if host != "" {
					t.Errorf("ordinary line matched: %s", line)
				}
			}
			if security < 5 || matched != security {
				t.Fatalf("%d security lines, %d matched; want failures, a lock-out and a refused socket", security, matched)
			}
		})
	}
}
