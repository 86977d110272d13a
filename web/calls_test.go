package web_test

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"xphone/internal/server"
	"xphone/sfu/sfutest"
)

// offer makes a fake browser's PeerConnection and its offer.
func offer(t *testing.T, video bool) (*sfutest.Client, string) {
	t.Helper()
	c, err := sfutest.NewClient(video)
	if err != nil {
		t.Fatal(err)
	}
	// A harness party that sends talks, as a browser does while its user
	// speaks: at the silent level, Opus DTX (which the server asks for)
	// would send one packet in 20 and each test would wait seconds for
	// "audio both ways".
	c.Level.Store(30)
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	sdp, err := c.Offer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return c, sdp
}

func answerAndConnect(t *testing.T, c *sfutest.Client, m map[string]any) {
	t.Helper()
	if err := c.Answer(m["sdp"].(string)); err != nil {
		t.Fatal(err)
	}
	waitConnected(t, c)
}

func waitConnected(t *testing.T, c *sfutest.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	if err := c.Connected(ctx); err != nil {
		t.Fatal(err)
	}
}

func loggedInTab(t *testing.T, srv *server.Server, ext, pw string) *tab {
	b := newBrowser(t, srv)
	b.login(ext, pw)
	return b.mustTab()
}

var reqSeq atomic.Int64

// dial places a call from tab and returns the call id and the client.
func dial(t *testing.T, from *tab, to string, video bool) (string, *sfutest.Client) {
	t.Helper()
	c, sdp := offer(t, video)
	req := fmt.Sprintf("r%d", reqSeq.Add(1))
	from.send(map[string]any{"type": "dial", "req": req, "to": to, "video": video, "sdp": sdp})
	st := from.waitFor("call-state", map[string]any{"state": "dialing", "req": req})
	id := st["call"].(string)
	if err := c.Answer(from.waitFor("answer", map[string]any{"call": id})["sdp"].(string)); err != nil {
		t.Fatal(err)
	}
	return id, c
}

func TestVideoCallThroughServerAndHangup(t *testing.T) {
	srv := startServer(t, testConfig)
	alice, bob := loggedInTab(t, srv, "1001", "pw1001"), loggedInTab(t, srv, "1002", "pw1002")
	id, ac := dial(t, alice, "1002", true)
	in := bob.waitFor("incoming", map[string]any{"call": id})
	if in["from"] != "1001" || in["from_name"] != "Alice" || in["video"] != true {
		t.Fatalf("incoming %v", in)
	}
	alice.waitFor("call-state", map[string]any{"call": id, "state": "ringing"})
	waitConnected(t, ac)
	bc, sdp := offer(t, true)
	bob.send(map[string]any{"type": "accept", "call": id, "video": true, "sdp": sdp})
	answerAndConnect(t, bc, bob.waitFor("answer", map[string]any{"call": id}))
	bob.waitFor("call-state", map[string]any{"call": id, "state": "connected", "peer": "1001", "peer_name": "Alice"})
	st := alice.waitFor("call-state", map[string]any{"call": id, "state": "connected", "peer": "1002", "peer_name": "Bob", "video": true})
	if st["since"].(float64) <= 0 {
		t.Fatalf("connected without a start time: %v", st)
	}
	ac.StartSending('A')
	bc.StartSending('B')
	waitUntil(t, "audio and video both ways", func() bool {
		return ac.Received('B') > 10 && bc.Received('A') > 10 && ac.VideoReceived.Load() > 10 && bc.VideoReceived.Load() > 10
	})
	if ac.Received('A') > 0 || bc.Received('B') > 0 {
		t.Fatal("a party hears itself")
	}
	alice.send(map[string]any{"type": "hangup", "call": id})
	bob.waitFor("call-state", map[string]any{"call": id, "state": "ended", "reason": "hangup"})
	alice.waitFor("call-state", map[string]any{"call": id, "state": "ended"})
}

func TestCallFailureReasons(t *testing.T) {
	srv := startServer(t, testConfig)
	alice, bob := loggedInTab(t, srv, "1001", "pw1001"), loggedInTab(t, srv, "1002", "pw1002")
	for _, c := range []struct{ to, reason string }{{"5555", "not_found"}, {"1003", "unavailable"}, {"1009", "unavailable"}} {
		id, _ := dial(t, alice, c.to, false)
		alice.waitFor("call-state", map[string]any{"call": id, "state": "ended", "reason": c.reason})
	}
	id, _ := dial(t, alice, "1002", false)
	bob.waitFor("incoming", map[string]any{"call": id})
	bob.send(map[string]any{"type": "decline", "call": id})
	alice.waitFor("call-state", map[string]any{"call": id, "state": "ended", "reason": "declined"})
}

func TestNoAnswerAndCancel(t *testing.T) {
	srv := startServer(t, testConfig)
	alice, bob := loggedInTab(t, srv, "1001", "pw1001"), loggedInTab(t, srv, "1002", "pw1002")
	id, _ := dial(t, alice, "1002", false)
	bob.waitFor("incoming", map[string]any{"call": id})
	alice.send(map[string]any{"type": "hangup", "call": id})
	alice.waitFor("call-state", map[string]any{"call": id, "state": "ended", "reason": "cancelled"})
	bob.waitFor("call-state", map[string]any{"call": id, "state": "ended", "reason": "cancelled"})

	id, _ = dial(t, alice, "1002", false) // nobody answers within calls.no_answer_timeout (5 s)
	alice.waitFor("call-state", map[string]any{"call": id, "state": "ended", "reason": "no_answer"})
	bob.waitFor("call-state", map[string]any{"call": id, "state": "ended", "reason": "no_answer"})
}

func TestAllTabsRingFirstAnswerWinsAndBusy(t *testing.T) {
	srv := startServer(t, testConfig)
	alice := loggedInTab(t, srv, "1001", "pw1001")
	bobBrowser := newBrowser(t, srv)
	bobBrowser.login("1002", "pw1002")
	bob1, bob2 := bobBrowser.mustTab(), bobBrowser.mustTab()
	carol := loggedInTab(t, srv, "1003", "pw1003")
	id, _ := dial(t, alice, "1002", false)
	bob1.waitFor("incoming", map[string]any{"call": id})
	bob2.waitFor("incoming", map[string]any{"call": id})
	_, sdp := offer(t, false)
	bob2.send(map[string]any{"type": "accept", "call": id, "sdp": sdp})
	bob2.waitFor("answer", map[string]any{"call": id})
	bob1.waitFor("call-state", map[string]any{"call": id, "state": "ended", "reason": "answered_elsewhere"})
	_, sdp = offer(t, false)
	bob1.send(map[string]any{"type": "accept", "call": id, "sdp": sdp})
	bob1.waitFor("error", map[string]any{"code": "unknown_call"})

	cid, _ := dial(t, carol, "1002", false) // call waiting: rings although 1002 is in a call
	bob1.waitFor("incoming", map[string]any{"call": cid, "from": "1003"})
	dave := loggedInTab(t, srv, "1004", "pw1004")
	did, _ := dial(t, dave, "1002", false) // a third call is one too many
	dave.waitFor("call-state", map[string]any{"call": did, "state": "ended", "reason": "busy"})
}

func TestClosingCalleeTabEndsCallerCall(t *testing.T) {
	srv := startServer(t, testConfig)
	alice, bob := loggedInTab(t, srv, "1001", "pw1001"), loggedInTab(t, srv, "1002", "pw1002")
	id, _ := dial(t, alice, "1002", false)
	bob.waitFor("incoming", map[string]any{"call": id})
	bc, sdp := offer(t, false)
	bob.send(map[string]any{"type": "accept", "call": id, "sdp": sdp})
	answerAndConnect(t, bc, bob.waitFor("answer", map[string]any{"call": id}))
	alice.waitFor("call-state", map[string]any{"call": id, "state": "connected"})
	start := time.Now()
	_ = bob.conn.Close(websocket.StatusGoingAway, "") // what a browser sends when its tab closes
	alice.waitFor("call-state", map[string]any{"call": id, "state": "ended", "reason": "hangup"})
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("caller learned of the closed tab after %s, want < 2 s", d)
	}
}

func TestSilentBrowserIsDroppedByPing(t *testing.T) {
	srv := startServer(t, testConfig, func(o *server.Options) {
		o.PingInterval, o.PingTimeout = 100*time.Millisecond, 200*time.Millisecond
	})
	alice := loggedInTab(t, srv, "1001", "pw1001")
	// A live client answers pings: it stays connected well past the timeout.
	if alice.closed(600 * time.Millisecond) {
		t.Fatal("a responsive tab was dropped")
	}
	b := newBrowser(t, srv)
	b.login("1002", "pw1002")
	conn := b.rawWebSocket() // upgraded, but never answers a ping
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.Copy(io.Discard, conn); err != nil {
		t.Fatalf("server did not close the silent socket: %v", err)
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(8 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
