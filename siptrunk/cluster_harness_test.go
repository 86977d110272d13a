package siptrunk_test

// A small harness for tests that run whole Xphone nodes against the SIP
// peers of this package (whose TestMain gives the binary a loopback-only
// network namespace with 127.0.0.2, which baresip's ICE needs): a node,
// a logged-in tab on it, a pion client answering the server's signalling.
// web's own harness is in its test package and cannot be shared.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"xphone/configs"
	"xphone/internal/server"
	"xphone/sfu/sfutest"
	"xphone/web/auth"
)

func nodeLogger() *slog.Logger {
	if os.Getenv("XPHONE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// startNode runs a whole Xphone on a loopback port until the test ends.
func startNode(t *testing.T, yamlText string) *server.Server {
	t.Helper()
	cfg, err := configs.Parse([]byte(yamlText))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.Start(context.Background(), server.Options{Config: cfg, DataDir: t.TempDir(), Logger: nodeLogger(),
		Addr: "127.0.0.1:0", MetricsAddr: "127.0.0.1:0", AuthOptions: []auth.Option{auth.WithCost(4)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// tab is one logged-in signalling WebSocket with every message it got.
type tab struct {
	t    *testing.T
	conn *websocket.Conn
	mu   sync.Mutex
	msgs []map[string]any
	done chan struct{}
}

// loggedInTab logs ext in on srv and opens a tab, like a browser would.
func loggedInTab(t *testing.T, srv *server.Server, ext, pw string) *tab {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}} //nolint:gosec // self-signed test cert
	t.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Jar: jar, Transport: tr, Timeout: 10 * time.Second}
	body, _ := json.Marshal(map[string]string{"ext": ext, "password": pw})
	resp, err := hc.Post(srv.URL()+"api/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login %s: %s", ext, resp.Status)
	}
	u, _ := url.Parse(srv.URL() + "ws")
	u.Scheme = "wss"
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, u.String(), &websocket.DialOptions{HTTPClient: hc,
		HTTPHeader: http.Header{"Origin": {strings.TrimSuffix(srv.URL(), "/xphone/")}}})
	if err != nil {
		t.Fatal(err)
	}
	tb := &tab{t: t, conn: conn, done: make(chan struct{})}
	go tb.read()
	t.Cleanup(func() { _ = conn.CloseNow(); <-tb.done })
	tb.waitFor("hello", nil)
	return tb
}

func (tb *tab) read() {
	defer close(tb.done)
	for {
		_, data, err := tb.conn.Read(context.Background())
		if err != nil {
			return
		}
		var m map[string]any
		if json.Unmarshal(data, &m) == nil {
			tb.mu.Lock()
			tb.msgs = append(tb.msgs, m)
			tb.mu.Unlock()
		}
	}
}

func (tb *tab) send(m map[string]any) {
	tb.t.Helper()
	data, _ := json.Marshal(m)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := tb.conn.Write(ctx, websocket.MessageText, data); err != nil {
		tb.t.Fatal(err)
	}
}

// nth is the n-th message of type typ whose fields match want, nil if
// there is none yet.
func (tb *tab) nth(typ string, want map[string]any, n int) map[string]any {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, m := range tb.msgs {
		if m["type"] != typ {
			continue
		}
		ok := true
		for k, v := range want {
			ok = ok && m[k] == v
		}
		if ok {
			if n--; n == 0 {
				return m
			}
		}
	}
	return nil
}

// waitFor waits for the first message of type typ matching want.
func (tb *tab) waitFor(typ string, want map[string]any) map[string]any {
	tb.t.Helper()
	return tb.waitNth(typ, want, 1)
}

// waitNth waits for the n-th message of type typ matching want.
func (tb *tab) waitNth(typ string, want map[string]any, n int) map[string]any {
	tb.t.Helper()
	var m map[string]any
	waitUntil(tb.t, fmt.Sprintf("%s %v #%d", typ, want, n), func() bool { m = tb.nth(typ, want, n); return m != nil })
	return m
}

// presence is the last state the tab heard for number.
func (tb *tab) presence(number string) string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	state := ""
	for _, m := range tb.msgs {
		if m["type"] != "presence" {
			continue
		}
		for _, p := range m["numbers"].([]any) {
			if p := p.(map[string]any); p["number"] == number {
				state = p["state"].(string)
			}
		}
	}
	return state
}

func waitPresence(t *testing.T, tb *tab, number, want string) {
	t.Helper()
	waitUntil(t, number+" "+want, func() bool { return tb.presence(number) == want })
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(8 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// offer is a pion client and its audio offer.
func offer(t *testing.T) (*sfutest.Client, string) {
	t.Helper()
	c, err := sfutest.NewClient(false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	sdp, err := c.Offer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return c, sdp
}

// answerAndConnect applies the server's answer and waits for ICE/DTLS.
func answerAndConnect(t *testing.T, c *sfutest.Client, sdp string) {
	t.Helper()
	if err := c.Answer(sdp); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	if err := c.Connected(ctx); err != nil {
		t.Fatal(err)
	}
}

// candidateHosts are the addresses of an SDP's ICE candidates.
func candidateHosts(sdp string) []string {
	var out []string
	for _, line := range strings.Split(sdp, "\n") {
		if f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "a=")); len(f) > 5 && strings.HasPrefix(f[0], "candidate:") {
			if !slices.Contains(out, f[4]) {
				out = append(out, f[4])
			}
		}
	}
	return out
}

// metric is one sample of srv's /metrics, 0 when absent.
func metric(t *testing.T, srv *server.Server, name string) float64 {
	t.Helper()
	resp, err := http.Get(srv.MetricsURL())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}

// spread is "median m (min–max)" of ds.
func spread(ds []time.Duration) string {
	s := slices.Clone(ds)
	slices.Sort(s)
	r := func(d time.Duration) string { return d.Round(100 * time.Microsecond).String() }
	return fmt.Sprintf("median %s (%s–%s)", r(s[len(s)/2]), r(s[0]), r(s[len(s)-1]))
}
