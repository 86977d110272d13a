package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestTabsPerExtensionCap: beyond limits.per_extension.tabs a tab is closed
// with 4409 and a reason the page shows; closing one frees its place.
func TestTabsPerExtensionCap(t *testing.T) {
	srv, _, logs := guardedServer(t, "limits: {per_extension: {tabs: 2}}\n")
	b := newBrowser(t, srv)
	b.login("1001", "pw1001")
	first, _ := b.mustTab(), b.mustTab()
	tab, _, err := b.openTab(nil)
	if err != nil {
		t.Fatal(err)
	}
	code, reason := tab.closeStatus(5 * time.Second)
	if code != 4409 || !strings.Contains(reason, "Too many Xphone tabs open for this extension (limit 2)") {
		t.Fatalf("third tab closed with %d %q, want 4409 and the reason", code, reason)
	}
	if tab.find("hello", nil) != nil {
		t.Error("the refused tab was greeted")
	}
	loggedInTab(t, srv, "1002", "pw1002")                   // another extension is not affected
	_ = first.conn.Close(websocket.StatusNormalClosure, "") // the browser closes the tab
	waitUntil(t, "a place freed by the closed tab", func() bool { return scrape(t, srv)["xphone_tabs_open"] == 2 })
	b.mustTab()
	if !logged(logs, `msg="security: limit reached" stream=security remote=127.0.0.1 ext=1001 limit=tabs max=2`) {
		t.Error("the refused tab is not logged")
	}
	if m := scrape(t, srv); m[`xphone_limit_reached_total{limit="tabs"}`] != 1 {
		t.Errorf("tabs limit counter %v, want 1", m[`xphone_limit_reached_total{limit="tabs"}`])
	}
}

// TestCallsPerExtensionCap: one extension's live legs over all its tabs are
// capped (the issue saw 80 room legs); dials and accepts beyond are refused
// with a message, and a hang-up frees a place.
func TestCallsPerExtensionCap(t *testing.T) {
	srv, _, logs := guardedServer(t, "limits: {per_extension: {calls: 1}}\n")
	a1, a2 := loggedInTab(t, srv, "1001", "pw1001"), loggedInTab(t, srv, "1001", "pw1001")
	bob := loggedInTab(t, srv, "1002", "pw1002")
	room, _ := dial(t, a1, "800", false)
	a1.waitFor("call-state", map[string]any{"call": room, "state": "connected"})

	_, sdp := offer(t, false)
	a2.send(map[string]any{"type": "dial", "req": "second", "to": "800", "sdp": sdp})
	e := a2.waitFor("error", map[string]any{"req": "second"})
	if e["code"] != "limit_reached" || e["message"] != "Too many calls for extension 1001 (limit 1)" {
		t.Fatalf("second leg: %v", e)
	}
	id, _ := dial(t, bob, "1001", false) // call waiting rings both tabs; none may take it
	a2.waitFor("incoming", map[string]any{"call": id})
	a2.send(map[string]any{"type": "accept", "req": "take", "call": id, "sdp": sdp})
	if e := a2.waitFor("error", map[string]any{"req": "take"}); e["code"] != "limit_reached" {
		t.Fatalf("accept over the cap: %v", e)
	}
	bob.send(map[string]any{"type": "hangup", "call": id})
	bob.waitFor("call-state", map[string]any{"call": id, "state": "ended"})

	a1.send(map[string]any{"type": "hangup", "call": room})
	a1.waitFor("call-state", map[string]any{"call": room, "state": "ended"})
	again, _ := dial(t, a2, "800", false)
	a2.waitFor("call-state", map[string]any{"call": again, "state": "connected"})
	if !logged(logs, `msg="security: limit reached" stream=security remote=127.0.0.1 ext=1001 limit=calls max=1`) {
		t.Error("the refused call is not logged")
	}
}

// TestSessionsPerExtensionCap: a login beyond limits.per_extension.sessions
// ends the least recently used session and closes its tabs.
func TestSessionsPerExtensionCap(t *testing.T) {
	srv, clk, _ := guardedServer(t, "limits: {per_extension: {sessions: 2}}\n")
	step := func() { clk.Advance(2 * time.Minute) } // sessions note a use at most once a minute
	var browsers []*browser
	for range 3 {
		step()
		b := newBrowser(t, srv)
		b.login("1001", "pw1001")
		browsers = append(browsers, b)
	}
	if resp, _ := browsers[0].get("api/session"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("least recently used session after a third login: %d, want 401", resp.StatusCode)
	}
	step()
	tab2 := browsers[2].mustTab()
	step()
	tab1 := browsers[1].mustTab() // used last, though it logged in before browsers[2]
	step()
	browsers[0].login("1001", "pw1001") // ends browsers[2]'s session, the least recently used
	if !tab2.closed(5 * time.Second) {
		t.Fatal("the ended session's tab is still open")
	}
	if tab1.closed(200 * time.Millisecond) {
		t.Fatal("the tab of the most recently used session was closed")
	}
	if resp, _ := browsers[2].get("api/session"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("ended session: %d, want 401", resp.StatusCode)
	}
	for _, b := range browsers[:2] {
		if resp, _ := b.get("api/session"); resp.StatusCode != http.StatusOK {
			t.Fatalf("kept session: %d", resp.StatusCode)
		}
	}
	if m := scrape(t, srv); m[`xphone_limit_reached_total{limit="sessions"}`] != 2 {
		t.Errorf("sessions limit counter %v, want 2", m[`xphone_limit_reached_total{limit="sessions"}`])
	}
}

// TestLimitsApplyOnReloadMetricsNeedARestart: limits.* change live (open
// tabs stay); metrics.* is reported as needing a restart.
func TestLimitsApplyOnReloadMetricsNeedARestart(t *testing.T) {
	srv := startServer(t, testConfig)
	b := newBrowser(t, srv)
	b.login("1001", "pw1001")
	first, second := b.mustTab(), b.mustTab()
	e := srv.Reload(mustParse(t, "limits: {per_extension: {tabs: 1}}\nmetrics: {listen: \"127.0.0.1:0\"}\n"+testConfig))
	if !e.OK || !strings.Contains(strings.Join(e.Applied, ","), "limits") || strings.Join(e.NeedsRestart, ",") != "metrics" {
		t.Fatalf("reload: %+v", e)
	}
	if first.closed(200*time.Millisecond) || second.closed(0) {
		t.Fatal("a lower cap closed open tabs")
	}
	third, _, err := b.openTab(nil)
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := third.closeStatus(5 * time.Second); code != 4409 {
		t.Fatalf("a new tab over the reloaded cap closed with %d, want 4409", code)
	}
}
