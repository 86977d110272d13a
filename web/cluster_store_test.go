package web_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"xphone/cluster/clustertest"
)

// TestSharedStoreAcrossNodes: with a cluster: block sessions, DND and
// history live in Redis. Bob logs in and sets DND on node A, misses a
// call there; his cookie is accepted on node B, whose tab shows DND on
// and the missed call. With Redis gone Bob keeps working on B (his
// session is remembered) and a new login gets a clear 503 store_down,
// quickly.
func TestSharedStoreAcrossNodes(t *testing.T) {
	redis := clustertest.StartRedis(t)
	cfg := func(id string) string { return fmt.Sprintf(clusterPresenceConfig, id, redis.Addr()) }
	a, b := startServer(t, cfg("n1")), startServer(t, cfg("n2"))
	alice := loggedInTab(t, a, "1001", "pw1001")
	bobOnA := newBrowser(t, a)
	bobOnA.login("1002", "pw1002")
	bobTab := bobOnA.mustTab()
	bobTab.waitFor("dnd", map[string]any{"on": false})
	bobTab.send(map[string]any{"type": "dnd", "on": true})
	bobTab.waitFor("dnd", map[string]any{"on": true})
	id, _ := dial(t, alice, "1002", false)
	alice.waitFor("call-state", map[string]any{"call": id, "state": "ended", "reason": "dnd"})
	bobTab.waitFor("history-add", nil)

	bobOnB := newBrowser(t, b)
	bobOnB.http.Jar = bobOnA.http.Jar // the same cookie, as after the load balancer moved him
	if resp, body := bobOnB.get("api/session"); resp.StatusCode != http.StatusOK || body["ext"] != "1002" {
		t.Fatalf("node B with node A's cookie: %d %v", resp.StatusCode, body)
	}
	tabOnB := bobOnB.mustTab()
	tabOnB.waitFor("dnd", map[string]any{"on": true})
	if calls := historyEntries(t, tabOnB); len(calls) != 1 || calls[0]["dir"] != "missed" || calls[0]["reason"] != "dnd" {
		t.Fatalf("node B's history of 1002: %v", calls)
	}

	redis.Stop()
	if resp, body := bobOnB.get("api/session"); resp.StatusCode != http.StatusOK || body["ext"] != "1002" {
		t.Errorf("a logged-in user during a Redis outage: %d %v", resp.StatusCode, body)
	}
	carol := newBrowser(t, b)
	start := time.Now()
	resp, body := carol.post("api/login", map[string]string{"ext": "1003", "password": "pw1003"})
	if resp.StatusCode != http.StatusServiceUnavailable || body["code"] != "store_down" {
		t.Errorf("a new login during a Redis outage: %d %v, want 503 store_down", resp.StatusCode, body)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the refused login took %v, want a quick answer", d)
	}
}
