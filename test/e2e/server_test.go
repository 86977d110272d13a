package e2e

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"testing"
	"time"

	"xphone/configs"
	"xphone/internal/server"
	"xphone/web/auth"
)

// configTemplate is the server configuration of the tests: four extensions
// with Xphone access (1001 is an administrator; 1003 stays logged out in the
// call tests, to test "unavailable") and three conference rooms: 800 forwards
// everyone's video, 801 only the speaker's, 802 is audio-only with a PIN.
// %s is calls.no_answer_timeout.
const configTemplate = `
xphone:
  enabled: true
http:
  listen: "127.0.0.1:0"
  path: /xphone/
media:
  interfaces: [lo]
calls:
  no_answer_timeout: %s
extensions:
  - {number: "1001", name: Alice, password: pw1001, xphone: true, admin: true}
  - {number: "1002", name: Bob, password: pw1002, xphone: true}
  - {number: "1003", name: Carol, password: pw1003, xphone: true}
  - {number: "1004", name: Dave, password: pw1004, xphone: true}
rooms:
  - {number: "800", name: Board, video: all}
  - {number: "801", name: Stage, video: speaker}
  - {number: "802", name: Vault, video: none, pin: "4711"}
`

// serverOptions tune startServer.
type serverOptions struct {
	noAnswerTimeout string
	// config replaces configTemplate when set (same %s for the timeout).
	config string
	// parsed, when set, is the configuration itself (config is ignored).
	parsed *configs.Config
	// pingInterval and pingTimeout shorten the WebSocket keep-alive.
	pingInterval, pingTimeout time.Duration
}

// testServer is the in-process Xphone server of one test.
type testServer struct {
	URL string // e.g. https://127.0.0.1:43121/xphone/

	opts server.Options // how it was started; restart reuses them
	logs *syncBuffer
	mu   sync.Mutex
	srv  *server.Server
}

// current is the running server.
func (ts *testServer) current() *server.Server {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.srv
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// startServer starts the real server on a random loopback port with
// configTemplate and stops it in t.Cleanup. Its log is printed when the test
// fails.
func startServer(t *testing.T, opts serverOptions) *testServer {
	t.Helper()
	if opts.noAnswerTimeout == "" {
		opts.noAnswerTimeout = "30s"
	}
	template := configTemplate
	if opts.config != "" {
		template = opts.config
	}
	cfg, err := configs.Parse([]byte(fmt.Sprintf(template, opts.noAnswerTimeout)))
	if opts.parsed != nil {
		cfg, err = opts.parsed, nil
	}
	if err != nil {
		t.Fatalf("test config: %v", err)
	}
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	// The context may bound the server's life, so it lives until cleanup;
	// the start itself is bounded from the outside.
	ts := &testServer{logs: logs, opts: server.Options{
		Config:  cfg,
		DataDir: t.TempDir(),
		Logger:  logger,
		Addr:    "127.0.0.1:0",
		// Each test's own metrics port: never the fixed default 9181.
		MetricsAddr: "127.0.0.1:0",
		// The cheapest bcrypt cost keeps logins fast under -race.
		AuthOptions:  []auth.Option{auth.WithCost(4)},
		PingInterval: opts.pingInterval, PingTimeout: opts.pingTimeout,
	}}
	srv := ts.start(t)
	ts.URL = srv.URL()
	t.Cleanup(func() {
		srv := ts.current()
		done := make(chan error, 1)
		go func() { done <- srv.Close() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("closing the server: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("the server did not close within 15s")
		}
		if t.Failed() {
			t.Logf("---- server log ----\n%s", logs.String())
		}
	})
	return ts
}

// start starts the server with ts.opts, bounded from the outside.
func (ts *testServer) start(t *testing.T) *server.Server {
	t.Helper()
	type started struct {
		srv *server.Server
		err error
	}
	ch := make(chan started, 1)
	go func() {
		srv, err := server.Start(context.Background(), ts.opts)
		ch <- started{srv, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("starting the server: %v\n%s", r.err, ts.logs.String())
		}
		ts.mu.Lock()
		ts.srv = r.srv
		ts.mu.Unlock()
		return r.srv
	case <-time.After(20 * time.Second):
		t.Fatalf("the server did not start within 20s\n%s", ts.logs.String())
	}
	return nil
}

// restart stops the server as SIGTERM does (Close) and starts it again on
// the same address with the same data directory.
func (ts *testServer) restart(t *testing.T) {
	t.Helper()
	old := ts.current()
	u, err := url.Parse(old.URL())
	if err != nil {
		t.Fatal(err)
	}
	if err := old.Close(); err != nil {
		t.Errorf("closing the server: %v", err)
	}
	ts.opts.Addr = u.Host
	ts.start(t)
}
