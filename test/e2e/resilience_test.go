package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Calls that survive the real world (docs/resilience.md): a dropped
// signalling socket, a killed browser, a server restart, a long transfer.

// sockets is how many signalling sockets the page has opened so far.
func (b *browser) sockets() int {
	b.t.Helper()
	var n int
	b.eval(`window.xphone.state().sockets`, &n)
	return n
}

// waitResumed waits until the page reconnected after a drop: ready again on
// socket number n.
func (b *browser) waitResumed(n int, timeout time.Duration) {
	b.t.Helper()
	b.waitUntil(fmt.Sprintf("socket %d open and greeted", n), timeout,
		fmt.Sprintf(`(() => { const s = window.xphone.state(); return s.ready && !s.reconnecting && s.sockets === %d; })()`, n))
}

// requireTimerAtLeast waits for the call timer to show at least secs.
func (b *browser) requireTimerAtLeast(secs int) {
	b.t.Helper()
	b.waitUntil(fmt.Sprintf("timer at least %d s", secs), 3*time.Second,
		fmt.Sprintf(`(() => { const p = (%s).split(':').map(Number); return p.reduce((a, n) => a * 60 + n, 0) >= %d; })()`,
			roleText("timer"), secs))
}

// TestSocketDropKeepsTheCall: one side's signalling socket closes mid-call
// (code 4000, as a network blip looks to the page). The page reconnects by
// itself, "Reconnecting…" shows on the call meanwhile, both timers keep
// running, audio and video keep flowing both ways, and the call can be
// hung up over the new socket.
func TestSocketDropKeepsTheCall(t *testing.T) {
	srv := startServer(t, serverOptions{})
	a := newBrowser(t, "1001")
	b := newBrowser(t, "1002")
	a.login(srv, "1001")
	b.login(srv, "1002")
	connectCall(t, a, b, "1001", "Alice", "1002", "Bob", true, true)
	a.requireMediaFlowing(true, mediaTimeout)
	a.requireTimerAtLeast(1)
	before := a.timerSeconds()

	a.eval(`window.xphone.dropSocket(4000)`, nil)
	a.waitStatusSeen(regexp.MustCompile(`^Reconnecting…$`), signalTimeout)
	a.waitResumed(2, signalTimeout)
	a.waitText("status", regexp.MustCompile(`^Connected to 1002 Bob$`), signalTimeout)
	if got := a.timerSeconds(); got < before {
		t.Fatalf("1001's timer went back from %d s to %d s over the reconnect", before, got)
	}
	for _, p := range []*browser{a, b} {
		p.requireTimerRuns()
		p.requireMediaFlowing(true, mediaTimeout)
	}
	if n := b.sockets(); n != 1 {
		t.Errorf("1002 opened %d sockets, want 1 (only 1001's dropped)", n)
	}
	a.click("button", "Hang up")
	b.waitUntil("1002 idle after 1001 hung up over the new socket", signalTimeout, idle())
	a.waitUntil("1001 idle", signalTimeout, idle())
}

// killBrowser kills the browser's whole process tree with SIGKILL, as a
// crash or `kill -9` would.
func (b *browser) killBrowser() {
	b.t.Helper()
	proc := chromedp.FromContext(b.browserCtx).Browser.Process()
	if proc == nil {
		b.t.Fatalf("%s: no browser process", b.name)
	}
	b.mu.Lock()
	b.closed = true // no screenshot of a dead browser
	b.mu.Unlock()
	pids := append(descendants(proc.Pid), proc.Pid)
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// descendants lists the processes below pid (Chromium's renderers, its
// network and GPU processes).
func descendants(pid int) []int {
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid …: comm may hold spaces, so cut at the last ')'.
		rest := string(stat[strings.LastIndexByte(string(stat), ')')+1:])
		f := strings.Fields(rest)
		if len(f) < 2 {
			continue
		}
		if ppid, err := strconv.Atoi(f[1]); err == nil {
			children[ppid] = append(children[ppid], p)
		}
	}
	var out []int
	var walk func(int)
	walk = func(p int) {
		for _, c := range children[p] {
			out = append(out, c)
			walk(c)
		}
	}
	walk(pid)
	return out
}

// TestKilledBrowserEndsTheCall: the callee's browser is killed (kill -9)
// mid-call; the caller's call ends with "Connection lost" within 5 s.
func TestKilledBrowserEndsTheCall(t *testing.T) {
	srv := startServer(t, serverOptions{})
	a := newBrowser(t, "1001")
	b := newBrowser(t, "1002")
	a.login(srv, "1001")
	b.login(srv, "1002")
	connectCall(t, a, b, "1001", "Alice", "1002", "Bob", false, false)
	a.requireMediaFlowing(false, mediaTimeout)

	b.killBrowser()
	start := time.Now()
	a.waitStatusSeen(regexp.MustCompile(`^Connection lost$`), 5*time.Second)
	took := time.Since(start)
	t.Logf("killed browser: the other party's call ended after %v", took.Round(10*time.Millisecond))
	a.waitUntil("1001 idle", signalTimeout, idle())
}

// TestServerRestartKeepsLogin: the server stops as on SIGTERM during a
// call and starts again with the same data directory. The call ends with
// "The server restarted"; both open tabs reconnect by themselves, logged in
// without a password, and can place a call again.
func TestServerRestartKeepsLogin(t *testing.T) {
	srv := startServer(t, serverOptions{})
	a := newBrowser(t, "1001")
	b := newBrowser(t, "1002")
	a.login(srv, "1001")
	b.login(srv, "1002")
	connectCall(t, a, b, "1001", "Alice", "1002", "Bob", false, false)

	srv.restart(t)
	for _, p := range []*browser{a, b} {
		p.waitStatusSeen(regexp.MustCompile(`^The server restarted$`), signalTimeout)
		p.waitResumed(2, 20*time.Second)
		p.waitUntil("main screen, no login form", time.Second, visible("textbox", "Number")+" && !("+visible("textbox", "Password")+")")
	}
	connectCall(t, a, b, "1001", "Alice", "1002", "Bob", false, false)
	a.requireMediaFlowing(false, mediaTimeout)
	a.click("button", "Hang up")
	b.waitUntil("1002 idle", signalTimeout, idle())
}

// TestLongTransferKeepsTheSocket: 1002 blind-transfers 1001 to 1003, which
// rings for a while before it answers. The server's keep-alive is set to a
// 1 s ping with a 2 s timeout here, and 1003 rings 5 s, more than twice
// that: when the transfer ran inside the transferor's socket read loop, the
// pongs went unread and that socket was dropped. Now the transfer
// completes and 1002's tab keeps its one socket throughout.
func TestLongTransferKeepsTheSocket(t *testing.T) {
	srv := startServer(t, serverOptions{pingInterval: time.Second, pingTimeout: 2 * time.Second})
	a := newBrowser(t, "1001")
	b := newBrowser(t, "1002")
	c := newBrowser(t, "1003")
	a.login(srv, "1001")
	b.login(srv, "1002")
	c.login(srv, "1003")
	connectCall(t, a, b, "1001", "Alice", "1002", "Bob", false, false)

	b.click("button", "Transfer")
	b.fill("Transfer to", "1003")
	b.click("button", "Transfer now")
	c.waitUntil("1003 rings", signalTimeout, "window.__xpt.names('dialog').length === 1")
	b.waitStatusSeen(regexp.MustCompile(`^Transferred$`), signalTimeout)
	const ring = 5 * time.Second
	deadline := time.Now().Add(ring)
	for time.Now().Before(deadline) {
		if n := b.sockets(); n != 1 {
			t.Fatalf("1002's socket was dropped while 1003 rang (%d sockets opened)", n)
		}
		time.Sleep(250 * time.Millisecond) // sampling while the target rings, not a wait for a result
	}
	c.click("button", "Accept Audio")
	a.waitText("status", regexp.MustCompile(`^Connected to 1003 Carol$`), signalTimeout)
	c.waitText("status", regexp.MustCompile(`^Connected to 1001 Alice$`), signalTimeout)
	a.requireMediaFlowing(false, mediaTimeout)
	if n := b.sockets(); n != 1 || !b.isVisible("textbox", "Number") {
		t.Fatalf("1002 after the transfer: %d sockets, page %s", n, b.describe())
	}
	b.waitUntil("1002 still connected", time.Second, "window.xphone.state().connected && window.xphone.state().ready")
	c.click("button", "Hang up")
	a.waitUntil("1001 idle", signalTimeout, idle())
}

// TestKilledBrowserByesTheSIPParty: a browser in a call through the SIP
// trunk is killed (kill -9); the PBX side (baresip) gets its BYE within 5 s.
func TestKilledBrowserByesTheSIPParty(t *testing.T) {
	s := startSIP(t, true, "0200")
	a := newBrowser(t, "1001")
	a.login(s.srv, "1001")
	a.dial("0200", false)
	s.baresip.WaitEvent(t, "CALL_ESTABLISHED", signalTimeout)
	a.waitText("status", regexp.MustCompile(`^Connected to 0200`), signalTimeout)
	a.requireMediaFlowing(false, mediaTimeout)

	a.killBrowser()
	start := time.Now()
	s.baresip.WaitEvent(t, "CALL_CLOSED", 5*time.Second)
	t.Logf("killed browser: the SIP party got its BYE after %v", time.Since(start).Round(10*time.Millisecond))
}
