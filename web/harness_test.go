package web_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/goleak"

	"xphone/configs"
	"xphone/internal/server"
	"xphone/web/auth"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const testConfig = `
calls: {no_answer_timeout: 5s}
rooms: [{number: "800", name: Board, video: none}]
media: {interfaces: [lo]}
login: {slow_after: 3, max_failures: 3}
extensions:
  - {number: "1001", name: Alice, password: pw1001, xphone: true}
  - {number: "1002", name: Bob, password: pw1002, xphone: true}
  - {number: "1003", name: Carol, password: pw1003, xphone: true}
  - {number: "1004", name: Dave, password: pw1004, xphone: true}
  - {number: "1009", name: Desk, password: pw1009, xphone: false}
`

func testLogger() *slog.Logger {
	if os.Getenv("XPHONE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// startServer runs a whole Xphone on a loopback port.
func startServer(t *testing.T, yamlText string, opts ...func(*server.Options)) *server.Server {
	t.Helper()
	cfg, err := configs.Parse([]byte(yamlText))
	if err != nil {
		t.Fatal(err)
	}
	o := server.Options{
		Config: cfg, DataDir: t.TempDir(), Logger: testLogger(), Addr: "127.0.0.1:0", MetricsAddr: "127.0.0.1:0",
		AuthOptions: []auth.Option{auth.WithCost(4)},
	}
	for _, f := range opts {
		f(&o)
	}
	srv, err := server.Start(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// browser is an HTTP client with its own cookies, like one browser profile.
type browser struct {
	t    *testing.T
	base string
	http *http.Client
}

func newBrowser(t *testing.T, srv *server.Server) *browser {
	jar, _ := cookiejar.New(nil)
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}} //nolint:gosec // self-signed test cert
	t.Cleanup(tr.CloseIdleConnections)
	return &browser{t: t, base: srv.URL(), http: &http.Client{Jar: jar, Transport: tr, Timeout: 10 * time.Second}}
}

func (b *browser) post(path string, body any) (*http.Response, map[string]any) {
	b.t.Helper()
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, b.base+path, bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/json")
	return b.do(req)
}

func (b *browser) get(path string) (*http.Response, map[string]any) {
	req, _ := http.NewRequest(http.MethodGet, b.base+path, nil)
	return b.do(req)
}

func (b *browser) do(req *http.Request) (*http.Response, map[string]any) {
	b.t.Helper()
	resp, err := b.http.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	if out == nil {
		out = map[string]any{"_body": string(raw)}
	}
	return resp, out
}

func (b *browser) login(ext, pw string) {
	b.t.Helper()
	resp, body := b.post("api/login", map[string]string{"ext": ext, "password": pw})
	if resp.StatusCode != http.StatusOK {
		b.t.Fatalf("login %s: %d %v", ext, resp.StatusCode, body)
	}
}

// tab is one signalling WebSocket with every message it received.
type tab struct {
	t    *testing.T
	conn *websocket.Conn
	mu   sync.Mutex
	msgs []map[string]any
	err  error // why reading ended
	done chan struct{}
}

func (b *browser) openTab(header http.Header) (*tab, *http.Response, error) {
	u, _ := url.Parse(b.base + "ws")
	u.Scheme = "wss"
	if header == nil {
		header = http.Header{"Origin": {strings.TrimSuffix(b.base, "/xphone/")}}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, u.String(), &websocket.DialOptions{HTTPClient: b.http, HTTPHeader: header})
	if err != nil {
		return nil, resp, err
	}
	t := &tab{t: b.t, conn: conn, done: make(chan struct{})}
	go t.read()
	b.t.Cleanup(func() { _ = conn.CloseNow(); <-t.done })
	return t, resp, nil
}

func (b *browser) mustTab() *tab {
	b.t.Helper()
	t, resp, err := b.openTab(nil)
	if err != nil {
		b.t.Fatalf("open websocket: %v (%v)", err, resp)
	}
	t.waitFor("hello", nil)
	return t
}

func (t *tab) read() {
	defer close(t.done)
	for {
		_, data, err := t.conn.Read(context.Background())
		if err != nil {
			t.mu.Lock()
			t.err = err
			t.mu.Unlock()
			return
		}
		var m map[string]any
		if json.Unmarshal(data, &m) == nil {
			t.mu.Lock()
			t.msgs = append(t.msgs, m)
			t.mu.Unlock()
		}
	}
}

func (t *tab) send(m map[string]any) {
	t.t.Helper()
	data, _ := json.Marshal(m)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := t.conn.Write(ctx, websocket.MessageText, data); err != nil {
		t.t.Fatal(err)
	}
}

// waitFor returns the first message of type typ whose fields match want.
func (t *tab) waitFor(typ string, want map[string]any) map[string]any {
	t.t.Helper()
	deadline := time.Now().Add(8 * time.Second)
	for time.Now().Before(deadline) {
		if m := t.find(typ, want); m != nil {
			return m
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.t.Fatalf("no %s message matching %v; got %v", typ, want, t.msgs)
	return nil
}

func (t *tab) find(typ string, want map[string]any) map[string]any {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, m := range t.msgs {
		if m["type"] != typ {
			continue
		}
		ok := true
		for k, v := range want {
			if m[k] != v {
				ok = false
			}
		}
		if ok {
			return m
		}
	}
	return nil
}

// last returns the newest message of type typ.
func (t *tab) last(typ string) map[string]any {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := len(t.msgs) - 1; i >= 0; i-- {
		if t.msgs[i]["type"] == typ {
			return t.msgs[i]
		}
	}
	return nil
}

// closed reports whether the server closed the socket.
func (t *tab) closed(within time.Duration) bool {
	select {
	case <-t.done:
		return true
	case <-time.After(within):
		return false
	}
}

// closeStatus is the close code and reason the server sent, once closed.
func (t *tab) closeStatus(within time.Duration) (websocket.StatusCode, string) {
	t.t.Helper()
	if !t.closed(within) {
		t.t.Fatal("the server did not close the socket")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var ce websocket.CloseError
	if !errors.As(t.err, &ce) {
		return -1, fmt.Sprint(t.err)
	}
	return ce.Code, ce.Reason
}

// rawWebSocket performs the upgrade by hand and returns the bare TLS
// connection: a "browser" that will never answer a ping.
func (b *browser) rawWebSocket() net.Conn {
	b.t.Helper()
	u, _ := url.Parse(b.base)
	conn, err := tls.Dial("tcp", u.Host, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // self-signed test cert
	if err != nil {
		b.t.Fatal(err)
	}
	var cookies []string
	for _, c := range b.http.Jar.Cookies(u) {
		cookies = append(cookies, c.Name+"="+c.Value)
	}
	fmt.Fprintf(conn, "GET %sws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nOrigin: https://%s\r\nCookie: %s\r\n\r\n",
		u.Path, u.Host, u.Host, strings.Join(cookies, "; "))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		b.t.Fatalf("raw upgrade: %v %v", err, resp)
	}
	return conn
}
