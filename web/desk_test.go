package web_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/coder/websocket"

	"xphone/internal/server"
)

// historyEntries returns the calls of the newest history message.
func historyEntries(t *testing.T, tb *tab) []map[string]any {
	t.Helper()
	m := tb.waitFor("history", nil)
	var out []map[string]any
	for _, c := range m["calls"].([]any) {
		out = append(out, c.(map[string]any))
	}
	return out
}

// TestRecentCallsAndMissed: an unanswered call is missed for the callee
// (counted as unseen until the list is opened) and outgoing for the
// caller; a call to an extension that is not logged in is missed too and
// waits in its history for the next login.
func TestRecentCallsAndMissed(t *testing.T) {
	srv := startServer(t, testConfig)
	alice, bob := loggedInTab(t, srv, "1001", "pw1001"), loggedInTab(t, srv, "1002", "pw1002")
	if h := bob.waitFor("history", nil); len(h["calls"].([]any)) != 0 || h["unseen"] != 0.0 {
		t.Fatalf("a new extension's history: %v", h)
	}
	seen := map[string]string{}
	for _, e := range alice.waitFor("directory", nil)["entries"].([]any) {
		e := e.(map[string]any)
		seen[e["number"].(string)] = e["kind"].(string) + " " + e["name"].(string)
	}
	if seen["1002"] != "extension Bob" || seen["800"] != "room Board" || len(seen) != 6 {
		t.Fatalf("directory %v, want the five extensions and room 800", seen)
	}
	id, _ := dial(t, alice, "1002", false)
	bob.waitFor("incoming", map[string]any{"call": id})
	alice.send(map[string]any{"type": "hangup", "call": id})
	add := bob.waitFor("history-add", nil)
	call := add["call"].(map[string]any)
	if call["dir"] != "missed" || call["number"] != "1001" || call["name"] != "Alice" || call["reason"] != "cancelled" || add["unseen"] != 1.0 {
		t.Fatalf("the callee's entry: %v", add)
	}
	out := alice.waitFor("history-add", nil)["call"].(map[string]any)
	if out["dir"] != "out" || out["number"] != "1002" || out["reason"] != "cancelled" {
		t.Fatalf("the caller's entry: %v", out)
	}
	bob.send(map[string]any{"type": "history-seen", "id": call["id"]})
	bob.waitFor("missed", map[string]any{"unseen": 0.0})

	id, _ = dial(t, alice, "1003", false)
	alice.waitFor("call-state", map[string]any{"call": id, "state": "ended", "reason": "unavailable"})
	carol := loggedInTab(t, srv, "1003", "pw1003")
	h := carol.waitFor("history", nil)
	calls := h["calls"].([]any)
	if len(calls) != 1 || h["unseen"] != 1.0 || calls[0].(map[string]any)["dir"] != "missed" || calls[0].(map[string]any)["reason"] != "unavailable" {
		t.Fatalf("1003 logs in after a call to it: %v", h)
	}
}

// TestDoNotDisturbSurvivesARestart: with DND on, callers get dnd and the
// callee a missed call; after a restart DND is still on and the history
// still there.
func TestDoNotDisturbSurvivesARestart(t *testing.T) {
	dir := t.TempDir()
	inDir := func(o *server.Options) { o.DataDir = dir }
	srv := startServer(t, testConfig, inDir)
	alice, bob := loggedInTab(t, srv, "1001", "pw1001"), loggedInTab(t, srv, "1002", "pw1002")
	bob.waitFor("dnd", map[string]any{"on": false})
	bob.send(map[string]any{"type": "dnd", "on": true})
	bob.waitFor("dnd", map[string]any{"on": true})
	id, _ := dial(t, alice, "1002", false)
	alice.waitFor("call-state", map[string]any{"call": id, "state": "ended", "reason": "dnd"})
	if m := bob.find("incoming", nil); m != nil {
		t.Fatalf("a DND extension was rung: %v", m)
	}
	missed := bob.waitFor("history-add", nil)["call"].(map[string]any)
	if missed["dir"] != "missed" || missed["reason"] != "dnd" {
		t.Fatalf("the DND callee's entry: %v", missed)
	}
	_ = srv.Close()

	srv = startServer(t, testConfig, inDir)
	bob = loggedInTab(t, srv, "1002", "pw1002")
	bob.waitFor("dnd", map[string]any{"on": true})
	if calls := historyEntries(t, bob); len(calls) != 1 || calls[0]["reason"] != "dnd" {
		t.Fatalf("history after a restart: %v", calls)
	}
	bob.send(map[string]any{"type": "dnd", "on": false})
	bob.waitFor("dnd", map[string]any{"on": false})
}

// presenceOf is the newest presence state tb heard for number.
func presenceOf(tb *tab, number string) string {
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
	deadline := time.Now().Add(3 * time.Second)
	for presenceOf(tb, number) != want {
		if time.Now().After(deadline) {
			t.Fatalf("presence of %s is %q, want %q", number, presenceOf(tb, number), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestExtensionPresence: every tab hears the extensions' presence — the
// whole board after hello, then each change: ringing, on a call, back to
// available, do-not-disturb, offline when the last tab closes.
func TestExtensionPresence(t *testing.T) {
	srv := startServer(t, testConfig)
	carol := loggedInTab(t, srv, "1003", "pw1003")
	waitPresence(t, carol, "1001", "offline")
	alice, bob := loggedInTab(t, srv, "1001", "pw1001"), loggedInTab(t, srv, "1002", "pw1002")
	waitPresence(t, carol, "1001", "available")
	waitPresence(t, carol, "1002", "available")
	id, _ := dial(t, alice, "1002", false)
	waitPresence(t, carol, "1001", "on_call")
	waitPresence(t, carol, "1002", "ringing")
	bc, sdp := offer(t, false)
	bob.send(map[string]any{"type": "accept", "call": id, "sdp": sdp})
	answerAndConnect(t, bc, bob.waitFor("answer", map[string]any{"call": id}))
	waitPresence(t, carol, "1002", "on_call")
	alice.send(map[string]any{"type": "hangup", "call": id})
	waitPresence(t, carol, "1001", "available")
	waitPresence(t, carol, "1002", "available")
	bob.send(map[string]any{"type": "dnd", "on": true})
	waitPresence(t, carol, "1002", "dnd")
	_ = alice.conn.Close(websocket.StatusNormalClosure, "")
	waitPresence(t, carol, "1001", "offline")
	if p := presenceOf(carol, "1009"); p != "" {
		t.Fatalf("an extension without Xphone access has presence %q", p)
	}
}

// TestHistoryIsCapped: an admin's cap on history length holds for every
// new entry, and a reload that lowers it trims the lists at once.
func TestHistoryIsCapped(t *testing.T) {
	srv := startServer(t, testConfig+"history: {max_entries: 3}\n")
	alice := loggedInTab(t, srv, "1001", "pw1001")
	for i := range 4 {
		id, _ := dial(t, alice, "5555", false)
		alice.waitFor("call-state", map[string]any{"call": id, "state": "ended", "reason": "not_found"})
		waitUntil(t, fmt.Sprintf("entry %d", i+1), func() bool { return countType(alice, "history-add") == i+1 })
	}
	fresh := loggedInTab(t, srv, "1001", "pw1001")
	if calls := historyEntries(t, fresh); len(calls) != 3 {
		t.Fatalf("%d entries kept with max_entries 3: %v", len(calls), calls)
	}
	srv.Reload(mustParse(t, testConfig+"history: {max_entries: 1}\n"))
	waitUntil(t, "the lower cap trims the list", func() bool {
		tb := loggedInTab(t, srv, "1001", "pw1001")
		return len(historyEntries(t, tb)) == 1
	})
}

func countType(tb *tab, typ string) int {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	n := 0
	for _, m := range tb.msgs {
		if m["type"] == typ {
			n++
		}
	}
	return n
}
