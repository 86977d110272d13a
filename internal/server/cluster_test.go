package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"xphone/cluster/clustertest"
	"xphone/configs"
	"xphone/web/auth"
)

// startNode runs a server from yaml on loopback ports.
func startNode(t *testing.T, yaml string) *Server {
	t.Helper()
	cfg, err := configs.Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := Start(context.Background(), Options{Config: cfg, DataDir: t.TempDir(), Addr: "127.0.0.1:0",
		MetricsAddr: "127.0.0.1:0", Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), AuthOptions: []auth.Option{auth.WithCost(4)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// readyz is the metrics listener's /readyz status and body.
func readyz(t *testing.T, srv *Server) (int, string) {
	t.Helper()
	res, err := http.Get(strings.TrimSuffix(srv.MetricsURL(), "metrics") + "readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

// Without a cluster: block a node is a cluster of one, in memory.
func TestSingleNodeIsAClusterOfOne(t *testing.T) {
	srv := startNode(t, "extensions: [{number: \"1001\", xphone: true, password: secret-1001}]\n")
	if code, body := readyz(t, srv); code != http.StatusOK || body != "ready\n" {
		t.Fatalf("/readyz %d %q", code, body)
	}
	self := srv.cluster.Self()
	checkMetrics(t, srv, fmt.Sprintf(`xphone_cluster_node_info{node=%q} 1`, self), "xphone_cluster_nodes_live 1", "xphone_cluster_redis_up 1")
	if v := srv.clusterView(context.Background()); len(v.Nodes) != 1 || v.Nodes[0].ID != self || !v.Healthy {
		t.Fatalf("admin cluster view %+v", v)
	}
}

// Two nodes on one Redis see each other; with Redis gone each reports
// degraded readiness (still serving) and recovers when it is back.
func TestClusterNodesShareRedisAndDegrade(t *testing.T) {
	redis := clustertest.StartRedis(t)
	node := func(id string) *Server {
		return startNode(t, fmt.Sprintf("cluster: {node_id: %s, ttl: 1s, advertise: [\"127.0.0.1:81\"], redis: {addrs: [%q]}}\n"+
			"extensions: [{number: \"1001\", xphone: true, password: secret-1001}]\n", id, redis.Addr()))
	}
	a, _ := node("n1"), node("n2")
	eventually(t, 3*time.Second, "n1 lists both nodes", func() bool { return len(a.clusterView(context.Background()).Nodes) == 2 })
	checkMetrics(t, a, `xphone_cluster_node_info{node="n1"} 1`, "xphone_cluster_nodes_live 2", "xphone_cluster_redis_up 1")
	if code, body := readyz(t, a); code != http.StatusOK || body != "ready\n" {
		t.Fatalf("/readyz %d %q", code, body)
	}
	redis.Stop()
	eventually(t, 3*time.Second, "/readyz degraded without Redis", func() bool {
		code, body := readyz(t, a)
		return code == http.StatusOK && strings.HasPrefix(body, "degraded")
	})
	checkMetrics(t, a, "xphone_cluster_redis_up 0")
	if v := a.clusterView(context.Background()); v.Healthy || v.Error == "" {
		t.Fatalf("admin view without Redis %+v", v)
	}
	redis.Start()
	eventually(t, 3*time.Second, "ready and both nodes again", func() bool {
		code, body := readyz(t, a)
		return code == http.StatusOK && body == "ready\n" && len(a.clusterView(context.Background()).Nodes) == 2
	})
}

// eventually polls cond every 20 ms until it holds or within passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", within, what)
		}
		<-time.After(20 * time.Millisecond)
	}
}
