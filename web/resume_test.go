package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"xphone/sfu/sfutest"
)

// reconnect opens another socket for the browser with ?tab=id, as the UI
// does after its socket dropped, and waits for its hello.
func (b *browser) reconnect(id string) (*tab, map[string]any) {
	b.t.Helper()
	u, _ := url.Parse(b.base + "ws?tab=" + url.QueryEscape(id))
	u.Scheme = "wss"
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	header := map[string][]string{"Origin": {strings.TrimSuffix(b.base, "/xphone/")}}
	conn, _, err := websocket.Dial(ctx, u.String(), &websocket.DialOptions{HTTPClient: b.http, HTTPHeader: header})
	if err != nil {
		b.t.Fatalf("reconnect: %v", err)
	}
	t := &tab{t: b.t, conn: conn, done: make(chan struct{})}
	go t.read()
	b.t.Cleanup(func() { _ = conn.CloseNow(); <-t.done })
	return t, t.waitFor("hello", nil)
}

// connectedCall sets up alice → bob with media flowing both ways and
// returns the call id, both clients and bob's browser.
func connectedCall(t *testing.T, alice, bob *tab) (string, *sfutest.Client, *sfutest.Client) {
	t.Helper()
	id, ac := dial(t, alice, "1002", false)
	bob.waitFor("incoming", map[string]any{"call": id})
	waitConnected(t, ac)
	bc, sdp := offer(t, false)
	bob.send(map[string]any{"type": "accept", "call": id, "sdp": sdp})
	answerAndConnect(t, bc, bob.waitFor("answer", map[string]any{"call": id}))
	alice.waitFor("call-state", map[string]any{"call": id, "state": "connected"})
	ac.StartSending('A')
	bc.StartSending('B')
	waitUntil(t, "audio both ways", func() bool { return ac.Received('B') > 5 && bc.Received('A') > 5 })
	return id, ac, bc
}

// TestSocketDropKeepsTheCall: the callee's socket fails (no close frame,
// as on a network blip) while its media is fine. The call goes on, the
// browser reconnects with its tab id and gets the call back (hello lists
// it, its connected state is sent again), and hangs up over the new socket.
func TestSocketDropKeepsTheCall(t *testing.T) {
	srv := startServer(t, testConfig)
	alice := loggedInTab(t, srv, "1001", "pw1001")
	bobBrowser := newBrowser(t, srv)
	bobBrowser.login("1002", "pw1002")
	bob := bobBrowser.mustTab()
	tabID := bob.last("hello")["tab"].(string)
	id, ac, _ := connectedCall(t, alice, bob)

	_ = bob.conn.CloseNow()
	before := ac.Received('B')
	time.Sleep(1500 * time.Millisecond) // the call must survive this while the socket is gone
	if m := alice.find("call-state", map[string]any{"call": id, "state": "ended"}); m != nil {
		t.Fatalf("the call ended when the callee's socket dropped: %v", m)
	}
	if ac.Received('B') <= before {
		t.Fatal("audio from the callee stopped while its socket was down")
	}

	bob2, hello := bobBrowser.reconnect(tabID)
	if hello["resumed"] != true || hello["tab"] != tabID {
		t.Fatalf("hello after reconnecting: %v, want resumed tab %s", hello, tabID)
	}
	calls, _ := hello["calls"].([]any)
	if len(calls) != 1 || calls[0].(map[string]any)["call"] != id {
		t.Fatalf("hello lists calls %v, want [%s]", calls, id)
	}
	bob2.waitFor("call-state", map[string]any{"call": id, "state": "connected", "peer": "1001"})
	bob2.send(map[string]any{"type": "hangup", "call": id})
	alice.waitFor("call-state", map[string]any{"call": id, "state": "ended", "reason": "hangup"})
	bob2.waitFor("call-state", map[string]any{"call": id, "state": "ended"})
}

// TestResumeNeedsTheSameSession: another login of the same extension
// cannot take over a tab (and its calls) by naming its id.
func TestResumeNeedsTheSameSession(t *testing.T) {
	srv := startServer(t, testConfig)
	bob := loggedInTab(t, srv, "1002", "pw1002")
	tabID := bob.last("hello")["tab"].(string)
	other := newBrowser(t, srv)
	other.login("1002", "pw1002")
	_, hello := other.reconnect(tabID)
	if hello["resumed"] == true || hello["tab"] == tabID {
		t.Fatalf("another session resumed tab %s: %v", tabID, hello)
	}
}

// TestDeadPartyEndsTheCall: the callee's browser dies (socket and media
// gone at once): the caller's call ends with "Connection lost" within 5 s.
func TestDeadPartyEndsTheCall(t *testing.T) {
	srv := startServer(t, testConfig)
	alice, bob := loggedInTab(t, srv, "1001", "pw1001"), loggedInTab(t, srv, "1002", "pw1002")
	id, _, bc := connectedCall(t, alice, bob)
	start := time.Now()
	_ = bob.conn.CloseNow()
	_ = bc.Close()
	m := alice.waitFor("call-state", map[string]any{"call": id, "state": "ended"})
	took := time.Since(start)
	if m["reason"] != "connection_lost" {
		t.Fatalf("the caller's call ended with %v, want connection_lost", m)
	}
	if took > 5*time.Second {
		t.Fatalf("the dead party was noticed after %v, want ≤ 5 s", took)
	}
	t.Logf("dead party noticed after %v", took.Round(10*time.Millisecond))
}

// TestTransferDoesNotBlockTheSocket: while a blind transfer's target rings,
// the transferor's socket keeps being read: a request sent meanwhile is
// answered at once (it waited for the whole ring before).
func TestTransferDoesNotBlockTheSocket(t *testing.T) {
	srv := startServer(t, testConfig)
	alice, bob := loggedInTab(t, srv, "1001", "pw1001"), loggedInTab(t, srv, "1002", "pw1002")
	carol := loggedInTab(t, srv, "1003", "pw1003")
	id, _, _ := connectedCall(t, alice, bob)
	alice.send(map[string]any{"type": "transfer", "call": id, "to": "1003"})
	carol.waitFor("incoming", map[string]any{"from": "1002"})
	start := time.Now()
	alice.send(map[string]any{"type": "hold", "req": "probe", "call": "no-such-call", "on": true})
	alice.waitFor("error", map[string]any{"req": "probe", "code": "unknown_call"})
	if d := time.Since(start); d > time.Second {
		t.Fatalf("a request during the transfer's ring was answered after %v: the socket was blocked", d)
	}
	alice.waitFor("call-state", map[string]any{"call": id, "state": "ended", "reason": "transferred"})
	if alice.closed(100 * time.Millisecond) {
		t.Fatal("the transferor's socket closed")
	}
}

// TestICERestart: a tab asks for an ICE restart; the server's new offer has
// fresh ICE credentials, the browser's answer is taken, and media goes on.
func TestICERestart(t *testing.T) {
	srv := startServer(t, testConfig)
	alice, bob := loggedInTab(t, srv, "1001", "pw1001"), loggedInTab(t, srv, "1002", "pw1002")
	id, ac, bc := connectedCall(t, alice, bob)
	first := bob.waitFor("answer", map[string]any{"call": id})["sdp"].(string)
	bob.send(map[string]any{"type": "ice-restart", "call": id})
	offerSDP := bob.waitFor("offer", map[string]any{"call": id})["sdp"].(string)
	if ufrag(offerSDP) == "" || ufrag(offerSDP) == ufrag(first) {
		t.Fatalf("restart offer ufrag %q, first %q: want new ICE credentials", ufrag(offerSDP), ufrag(first))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	answer, err := bc.AnswerOffer(ctx, offerSDP)
	if err != nil {
		t.Fatal(err)
	}
	bob.send(map[string]any{"type": "answer", "call": id, "sdp": answer})
	before := ac.Received('B')
	waitUntil(t, "audio after the ICE restart", func() bool { return ac.Received('B') > before+4 })
	if m := bob.find("error", nil); m != nil {
		t.Fatalf("error during the restart: %v", m)
	}
}

func ufrag(sdp string) string {
	for _, line := range strings.Split(sdp, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "a=ice-ufrag:"); ok {
			return v
		}
	}
	return ""
}
