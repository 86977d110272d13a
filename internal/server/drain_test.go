package server

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// An idle single node (a cluster of one) drains at once: Drain reports
// idle, and the cluster (the admin page), /readyz and /metrics say it
// drains until Close.
func TestIdleNodeDrainsAtOnceAndSaysSo(t *testing.T) {
	srv := startNode(t, "extensions: [{number: \"1001\", xphone: true, password: secret-1001}]\n")
	checkMetrics(t, srv, "xphone_draining 0")
	if !srv.Drain(nil) {
		t.Fatal("an idle node did not drain at once")
	}
	if v := srv.clusterView(context.Background()); len(v.Nodes) != 1 || !v.Nodes[0].Draining {
		t.Fatalf("the cluster does not see the node draining: %+v", v.Nodes)
	}
	if code, body := readyz(t, srv); code != http.StatusServiceUnavailable || !strings.HasPrefix(body, "draining") {
		t.Fatalf("/readyz %d %q", code, body)
	}
	checkMetrics(t, srv, "xphone_draining 1")
}
