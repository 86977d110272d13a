package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"xphone/cluster"
	"xphone/internal/server"
)

// twoHubAdminNodes starts n1 and n2 on one cluster.Hub with adminConfig.
func twoHubAdminNodes(t *testing.T) (*server.Server, *server.Server) {
	t.Helper()
	hub := cluster.NewHub(nil)
	var srvs []*server.Server
	for _, id := range []string{"n1", "n2"} {
		node, err := hub.Node(id, nil)
		if err != nil {
			t.Fatal(err)
		}
		srvs = append(srvs, startServer(t, adminConfig, func(o *server.Options) { o.Cluster = node }))
	}
	return srvs[0], srvs[1]
}

// drainingOf is each node's draining flag as an admin's GET
// admin/api/cluster lists it.
func drainingOf(t *testing.T, admin *browser) map[string]bool {
	t.Helper()
	resp, body := admin.get("admin/api/cluster")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("admin/api/cluster: %d %v", resp.StatusCode, body)
	}
	out := map[string]bool{}
	nodes, _ := body["nodes"].([]any)
	for _, n := range nodes {
		m := n.(map[string]any)
		out[m["id"].(string)] = m["draining"] == true
	}
	return out
}

// TestAdminDrainsANode: an admin drains n1 from the JSON API — /readyz 503
// draining, xphone_draining 1, a new call refused with "draining", and
// both nodes' admin views list n1 as draining — then takes it back into
// service with the admin page's button; nobody else may, and a drain
// SIGTERM began cannot be cancelled.
func TestAdminDrainsANode(t *testing.T) {
	n1, n2 := twoHubAdminNodes(t)
	admin1, admin2 := newBrowser(t, n1), newBrowser(t, n2)
	admin1.login("1001", "pw1001")
	admin2.login("1001", "pw1001")
	if got := drainingOf(t, admin1); len(got) != 2 || got["n1"] || got["n2"] {
		t.Fatalf("before the drain the cluster lists %v", got)
	}
	bob := newBrowser(t, n1)
	bob.login("1002", "pw1002")
	bobTab := bob.mustTab()
	if resp, _ := bob.post("admin/api/drain", map[string]any{"draining": true}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a non-admin's drain: %d, want 403", resp.StatusCode)
	}
	if resp, _ := newBrowser(t, n1).post("admin/api/drain", map[string]any{"draining": true}); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("an anonymous drain: %d, want 401", resp.StatusCode)
	}

	if resp, body := admin1.post("admin/api/drain", map[string]any{"draining": true}); resp.StatusCode != http.StatusOK || body["draining"] != true {
		t.Fatalf("drain: %d %v", resp.StatusCode, body)
	}
	if code, body := opsGet(t, n1, "readyz"); code != http.StatusServiceUnavailable || !strings.HasPrefix(body, "draining") {
		t.Fatalf("/readyz of the drained node: %d %q", code, body)
	}
	if _, body := opsGet(t, n1, "metrics"); !strings.Contains(body, "\nxphone_draining 1\n") {
		t.Fatal("xphone_draining is not 1 while an admin drains the node")
	}
	refusedDial(t, bobTab, "1003", "while-drained")
	if got := drainingOf(t, admin2); !got["n1"] || got["n2"] {
		t.Fatalf("n2's admin view lists %v, want n1 draining", got)
	}
	_, page := admin1.get("admin/")
	if p := page["_body"].(string); !strings.Contains(p, "This node is draining") || !strings.Contains(p, "Cancel the drain") {
		t.Fatalf("the admin page of a draining node:\n%s", p)
	}

	cancelForm := func(origin string) int {
		req, _ := http.NewRequest(http.MethodPost, admin1.base+"admin/drain", strings.NewReader(url.Values{"draining": {"off"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		admin1.http.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		defer func() { admin1.http.CheckRedirect = nil }()
		resp, _ := admin1.do(req)
		return resp.StatusCode
	}
	if code := cancelForm("https://evil.example"); code != http.StatusForbidden || !drainingOf(t, admin1)["n1"] {
		t.Fatalf("a cross-site form: %d, want 403 and the drain kept", code)
	}
	if code := cancelForm(strings.TrimSuffix(admin1.base, "/xphone/")); code != http.StatusSeeOther {
		t.Fatalf("the page's cancel button: %d, want 303 back to the page", code)
	}
	if code, _ := opsGet(t, n1, "readyz"); code != http.StatusOK || drainingOf(t, admin2)["n1"] {
		t.Fatalf("after the cancel /readyz is %d and n2 lists %v", code, drainingOf(t, admin2))
	}
	_, sdp := offer(t, false)
	bobTab.send(map[string]any{"type": "dial", "req": "after-cancel", "to": "1003", "sdp": sdp})
	bobTab.waitFor("call-state", map[string]any{"req": "after-cancel", "state": "dialing"})

	<-drainAsync(n2) // SIGTERM: idle, so it returns at once, and the node is stopping
	if resp, body := admin2.post("admin/api/drain", map[string]any{"draining": false}); resp.StatusCode != http.StatusConflict {
		t.Fatalf("cancelling a SIGTERM drain: %d %v, want 409", resp.StatusCode, body)
	}
}
