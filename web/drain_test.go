package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"xphone/internal/server"
)

// drainClock stands in for the grace timer: the test says when it fires.
type drainClock struct{ fire chan time.Time }

func newDrainClock() *drainClock { return &drainClock{fire: make(chan time.Time, 1)} }

func (c *drainClock) option(o *server.Options) {
	o.After = func(time.Duration) <-chan time.Time { return c.fire }
}

// drainAsync runs srv.Drain and delivers its outcome.
func drainAsync(srv *server.Server) <-chan bool {
	out := make(chan bool, 1)
	go func() { out <- srv.Drain(nil) }()
	return out
}

// opsGet is the metrics listener's path status and body.
func opsGet(t *testing.T, srv *server.Server, path string) (int, string) {
	t.Helper()
	return fetch(t, http.DefaultClient, strings.TrimSuffix(srv.MetricsURL(), "metrics")+path, "")
}

// refusedDial: a dial from tab is refused because the node drains.
func refusedDial(t *testing.T, from *tab, to, req string) {
	t.Helper()
	_, sdp := offer(t, false)
	from.send(map[string]any{"type": "dial", "req": req, "to": to, "sdp": sdp})
	from.waitFor("error", map[string]any{"req": req, "code": "not_allowed", "reason": "draining"})
}

// TestDrainRefusesNewCallsAndWaitsForCurrentOnes: once a node drains,
// /readyz says so with 503, xphone_draining is 1, a new call and a new room
// member are refused with reason "draining", while the call already up
// keeps its audio both ways and the room its member; Drain returns when
// the last of them has ended, the grace timer never firing.
func TestDrainRefusesNewCallsAndWaitsForCurrentOnes(t *testing.T) {
	clock := newDrainClock()
	srv := startServer(t, testConfig, clock.option)
	alice, bob := loggedInTab(t, srv, "1001", "pw1001"), loggedInTab(t, srv, "1002", "pw1002")
	carol, dave := loggedInTab(t, srv, "1003", "pw1003"), loggedInTab(t, srv, "1004", "pw1004")
	id, ac, bc := connect(t, alice, bob, "1002")
	room, dc := dial(t, dave, "800", false)
	dave.waitFor("call-state", map[string]any{"call": room, "state": "connected"})
	waitConnected(t, dc)

	done := drainAsync(srv)
	waitUntil(t, "/readyz 503 draining", func() bool {
		code, body := opsGet(t, srv, "readyz")
		return code == http.StatusServiceUnavailable && strings.HasPrefix(body, "draining")
	})
	if _, body := opsGet(t, srv, "metrics"); !strings.Contains(body, "\nxphone_draining 1\n") {
		t.Fatal("xphone_draining is not 1 while draining")
	}
	refusedDial(t, carol, "1004", "new-call")
	refusedDial(t, carol, "800", "new-member")

	ac.StartSending('A')
	bc.StartSending('B')
	a0, b0 := ac.Received('B'), bc.Received('A')
	waitUntil(t, "audio both ways while draining", func() bool { return ac.Received('B') > a0+10 && bc.Received('A') > b0+10 })

	bob.send(map[string]any{"type": "hangup", "call": id})
	alice.waitFor("call-state", map[string]any{"call": id, "state": "ended", "reason": "hangup"})
	select {
	case <-done:
		t.Fatal("drain ended while the room still had a member")
	case <-time.After(600 * time.Millisecond): // more than two looks (drainPoll)
	}
	dave.send(map[string]any{"type": "hangup", "call": room})
	select {
	case idle := <-done:
		if !idle {
			t.Fatal("Drain reports the grace ran out; it never fired")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("drain did not end after the last call and room member left")
	}
}

// TestDrainGraceEndsCallsStillUp: when server.drain_grace passes with a
// call still up, Drain gives up and the usual shutdown ends the call with
// server_restart.
func TestDrainGraceEndsCallsStillUp(t *testing.T) {
	clock := newDrainClock()
	srv := startServer(t, testConfig, clock.option)
	alice, bob := loggedInTab(t, srv, "1001", "pw1001"), loggedInTab(t, srv, "1002", "pw1002")
	id, _, _ := connect(t, alice, bob, "1002")
	done := drainAsync(srv)
	waitUntil(t, "draining", srv.Draining)
	clock.fire <- time.Now()
	select {
	case idle := <-done:
		if idle {
			t.Fatal("Drain reports idle with a call up")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("drain did not end at the grace deadline")
	}
	_ = srv.Close()
	alice.waitFor("call-state", map[string]any{"call": id, "state": "ended", "reason": "server_restart"})
}

// TestDrainGraceZeroStopsAtOnce: server.drain_grace 0 is the old stop: no
// draining state, Drain returns at once.
func TestDrainGraceZeroStopsAtOnce(t *testing.T) {
	srv := startServer(t, testConfig+"server: {drain_grace: 0s}\n")
	alice, bob := loggedInTab(t, srv, "1001", "pw1001"), loggedInTab(t, srv, "1002", "pw1002")
	connect(t, alice, bob, "1002")
	if srv.Drain(nil) || srv.Draining() {
		t.Fatal("drain_grace 0 drained")
	}
	if code, _ := opsGet(t, srv, "readyz"); code != http.StatusOK {
		t.Fatalf("/readyz %d without draining", code)
	}
}
