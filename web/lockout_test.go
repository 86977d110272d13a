package web_test

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"xphone/internal/server"
	"xphone/web/auth"
)

// lockoutConfig keeps the default login limits: 10 checks per address, 30
// per extension for addresses that never logged in to it, 15 min.
const lockoutConfig = `
media: {interfaces: [lo]}
extensions:
  - {number: "1001", name: Alice, password: pw1001, xphone: true}
`

// fakeClock is the server's injected clock: tests move it, never sleep.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// lockoutServer runs a server whose bcrypt comparisons are counted, on the
// fake clock, with login delays skipped (their lengths are unit-tested).
type lockoutServer struct {
	srv    *server.Server
	clk    *fakeClock
	checks atomic.Int64
	logs   *lockedBuffer
}

func startLockoutServer(t *testing.T) *lockoutServer {
	ls := &lockoutServer{clk: newFakeClock(), logs: &lockedBuffer{}}
	ls.srv = startServer(t, lockoutConfig, func(o *server.Options) {
		o.AuthOptions = append(o.AuthOptions, auth.WithCheckHook(func() { ls.checks.Add(1) }))
		o.Now = ls.clk.Now
		o.LoginSleep = func(time.Duration) {}
		o.Logger = slog.New(slog.NewTextHandler(ls.logs, nil))
	})
	return ls
}

// clientFrom is an HTTP client whose connections leave from ip (any
// 127.0.0.0/8 address is local) with up to conns connections.
func clientFrom(t *testing.T, ip string, conns int) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	tr := &http.Transport{DialContext: d.DialContext, MaxConnsPerHost: conns, MaxIdleConnsPerHost: conns,
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}} //nolint:gosec // self-signed test cert
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// tryLogin posts one login and returns the status and the error text.
func tryLogin(hc *http.Client, url, ext, pw string) (int, string, error) {
	data, _ := json.Marshal(map[string]string{"ext": ext, "password": pw})
	resp, err := hc.Post(url+"api/login", "application/json", bytes.NewReader(data))
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var body struct{ Error string }
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body.Error, nil
}

// statusCounts tallies statuses of concurrent logins.
type statusCounts struct {
	mu sync.Mutex
	n  map[int]int
}

func (s *statusCounts) add(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == nil {
		s.n = map[int]int{}
	}
	s.n[code]++
}

// hammer runs attempts wrong logins for 1001 over workers goroutines; the
// client of attempt i is clients[i%len(clients)].
func hammer(t *testing.T, url string, clients []*http.Client, attempts, workers int) map[int]int {
	t.Helper()
	var counts statusCounts
	next := make(chan int)
	var wg sync.WaitGroup
	var failed atomic.Value
	for range workers {
		wg.Go(func() {
			for i := range next {
				code, _, err := tryLogin(clients[i%len(clients)], url, "1001", fmt.Sprint("guess", i))
				if err != nil {
					failed.Store(err)
				}
				counts.add(code)
			}
		})
	}
	for i := range attempts {
		next <- i
	}
	close(next)
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		t.Fatalf("login request failed: %v", err)
	}
	return counts.n
}

// TestParallelWrongLoginsFromOneAddress: 100 wrong logins at once from one
// address get exactly 10 answers 401 (10 password checks) and 90 answers
// 429; the lock-out holds for the right password until the clock moves on.
func TestParallelWrongLoginsFromOneAddress(t *testing.T) {
	ls := startLockoutServer(t)
	url := ls.srv.URL()
	hc := clientFrom(t, "127.0.0.1", 100)
	got := hammer(t, url, []*http.Client{hc}, 100, 100)
	if got[http.StatusUnauthorized] != 10 || got[http.StatusTooManyRequests] != 90 || ls.checks.Load() != 10 {
		t.Fatalf("statuses %v, %d password checks; want 10×401, 90×429, 10 checks", got, ls.checks.Load())
	}
	if code, msg, _ := tryLogin(hc, url, "1001", "pw1001"); code != http.StatusTooManyRequests || !strings.Contains(msg, "try again in 15 min") {
		t.Fatalf("right password while locked out: %d %q", code, msg)
	}
	ls.clk.Advance(15 * time.Minute)
	if code, msg, _ := tryLogin(hc, url, "1001", "pw1001"); code != http.StatusOK {
		t.Fatalf("right password after the lock-out: %d %q", code, msg)
	}
	if n := ls.checks.Load(); n != 11 {
		t.Fatalf("%d password checks, want 11", n)
	}
}

// TestTenThousandLoginsOverTwoHundredConnections: the probe; the
// password is checked at most max_failures times whatever the parallelism.
func TestTenThousandLoginsOverTwoHundredConnections(t *testing.T) {
	ls := startLockoutServer(t)
	got := hammer(t, ls.srv.URL(), []*http.Client{clientFrom(t, "127.0.0.1", 200)}, 10_000, 200)
	if n := ls.checks.Load(); n > 10 || got[http.StatusUnauthorized] != int(n) || got[http.StatusTooManyRequests] != 10_000-int(n) {
		t.Fatalf("%d password checks, statuses %v; want at most 10 checks, one 401 each, the rest 429", n, got)
	}
	lines := 0
	for _, l := range ls.logs.lines() {
		if strings.Contains(l, "security: login locked out") {
			lines++
		}
	}
	if lines != 1 {
		t.Errorf("%d lock-out lines for 9,990 refusals within a minute, want 1 (rate-limited)", lines)
	}
}

// TestLoginsSpreadOverAddressesHitTheExtensionCap: 100 strangers' addresses
// get 30 password checks together; the owner's known address still logs in
// while a new address is refused.
func TestLoginsSpreadOverAddressesHitTheExtensionCap(t *testing.T) {
	ls := startLockoutServer(t)
	url := ls.srv.URL()
	owner := clientFrom(t, "127.0.0.1", 1)
	if code, msg, _ := tryLogin(owner, url, "1001", "pw1001"); code != http.StatusOK {
		t.Fatalf("owner's first login: %d %q", code, msg)
	}
	ls.checks.Store(0)
	var strangers []*http.Client
	for i := range 100 {
		strangers = append(strangers, clientFrom(t, fmt.Sprintf("127.0.1.%d", i+1), 2))
	}
	got := hammer(t, url, strangers, 2000, 200)
	if n := ls.checks.Load(); n != 30 || got[http.StatusUnauthorized] != 30 || got[http.StatusTooManyRequests] != 1970 {
		t.Fatalf("%d password checks from 100 addresses, statuses %v; want 30 checks (login.extension_max_failures)", n, got)
	}
	if code, msg, _ := tryLogin(clientFrom(t, "127.0.2.1", 1), url, "1001", "pw1001"); code != http.StatusTooManyRequests {
		t.Fatalf("a new address during the extension's lock-out: %d %q, want 429", code, msg)
	}
	if code, msg, _ := tryLogin(owner, url, "1001", "pw1001"); code != http.StatusOK {
		t.Fatalf("the owner's known address during the extension's lock-out: %d %q, want 200", code, msg)
	}
	if !strings.Contains(strings.Join(ls.logs.lines(), "\n"), `remote=127.0.2.1 ext=1001 scope=extension`) {
		t.Error("the extension's lock-out is not logged with its scope")
	}
}
