package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The three-node cluster of cluster_suite_test.go: the real xphone binary,
// built once per run, started three times as separate processes, each on
// its own loopback address, sharing one redis-server.

// clusterNodeConfig is every node's configuration (the same file but for
// node_id, the addresses and the trunk's local socket, as docs/cluster.md
// says). Arguments: media address, kamailio address, trunk listen, node id, advertised
// address, Redis address.
//
// Media: every node advertises its own address for media, a second (third,
// fourth) address of lo, as hosts sharing one interface would: the engine's
// socket is bound to 0.0.0.0 and must answer from the address each packet
// came to (IP_PKTINFO), or ICE fails. The address comes first among the
// arguments.
const clusterNodeConfig = `
xphone: {enabled: true}
http: {path: /xphone/}
media: {interfaces: [lo], public_ips: [%q]}
calls: {no_answer_timeout: 30s}
extensions:
  - {number: "1001", name: Alice, password: pw1001, xphone: true, admin: true}
  - {number: "1002", name: Bob, password: pw1002, xphone: true}
  - {number: "1003", name: Carol, password: pw1003, xphone: true}
  - {number: "1004", name: Dave, password: pw1004, xphone: true}
rooms:
  - {number: "800", name: Board, video: all}
trunks:
  - name: pbx
    address: %q
    listen: %q
    register: {user: xphone, password: s3cret, expiry: 60s}
    media: rtp
cluster: {node_id: %s, advertise: [%q], redis: {addrs: [%q]}}
`

// buildXphone builds cmd/xphone into dir and returns the binary's path.
func buildXphone(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "xphone")
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "xphone/cmd/xphone")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build xphone/cmd/xphone: %v\n%s", err, out)
	}
	t.Logf("built the xphone binary in %v", time.Since(start).Round(10*time.Millisecond))
	return bin
}

// ensureLoopback adds ip to lo unless some interface has it already, and
// removes it again at cleanup. (Linux routes all of 127/8 to lo anyway;
// the explicit address makes the node's address a real interface address,
// as on a real host.) The suite runs as root in its own network
// namespace (heavy.sh, scripts/test.sh), where nothing else sees it.
func ensureLoopback(t *testing.T, ip string) {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.String() == ip {
			return
		}
	}
	if out, err := exec.Command("ip", "addr", "add", ip+"/8", "dev", "lo").CombinedOutput(); err != nil {
		t.Logf("cannot add %s to lo (%v: %s); relying on the 127/8 route to lo", ip, err, strings.TrimSpace(string(out)))
		return
	}
	t.Cleanup(func() { _ = exec.Command("ip", "addr", "del", ip+"/8", "dev", "lo").Run() })
}

// clusterNode is one xphone process of the cluster.
type clusterNode struct {
	t        *testing.T
	id, ip   string
	bin, cfg string
	dataDir  string
	http     string // host:port of the HTTPS listener
	sip      string // host:port of the trunk's SIP socket
	metrics  string // host:port of /metrics, /readyz
	logs     *syncBuffer

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// newClusterNode writes the node's configuration; start runs it.
func newClusterNode(t *testing.T, bin, id, ip, redisAddr, registrar string) *clusterNode {
	t.Helper()
	ensureLoopback(t, ip)
	n := &clusterNode{t: t, id: id, ip: ip, bin: bin, dataDir: t.TempDir(), logs: &syncBuffer{}}
	n.http = net.JoinHostPort(ip, freePort(t, ip))
	n.metrics = net.JoinHostPort(ip, freePort(t, ip))
	n.sip = net.JoinHostPort(ip, freePort(t, ip))
	trunk := n.sip
	n.cfg = filepath.Join(n.dataDir, "xphone.yaml")
	cfg := fmt.Sprintf(clusterNodeConfig, ip, registrar, trunk, id, n.http, redisAddr)
	if err := os.WriteFile(n.cfg, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		n.kill()
		if t.Failed() {
			t.Logf("---- node %s log ----\n%s", n.id, n.logs.String())
		}
	})
	return n
}

// start runs the process and waits until /readyz answers 200.
func (n *clusterNode) start() {
	n.t.Helper()
	cmd := exec.Command(n.bin, "-config", n.cfg, "-data-dir", n.dataDir, "-http-addr", n.http, "-metrics-addr", n.metrics)
	cmd.Stdout, cmd.Stderr = n.logs, n.logs
	// Killed with the test binary, so a crashed test leaves no node behind.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		n.t.Fatalf("start node %s: %v", n.id, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	n.mu.Lock()
	n.cmd, n.done = cmd, done
	n.mu.Unlock()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if code, _, _ := n.readyz(); code == http.StatusOK {
			return
		}
		select {
		case <-done:
			n.t.Fatalf("node %s exited at start:\n%s", n.id, n.logs.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	n.t.Fatalf("node %s not ready within 20s:\n%s", n.id, n.logs.String())
}

// kill stops the process with SIGKILL, as `kill -9` does, and waits for
// it (idempotent).
func (n *clusterNode) kill() {
	n.mu.Lock()
	cmd, done := n.cmd, n.done
	n.cmd = nil
	n.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

// metricsClient reads the plain-HTTP operations listener.
var metricsClient = &http.Client{Timeout: 2 * time.Second}

// readyz returns /readyz's status, body and X-Xphone-Degraded header.
func (n *clusterNode) readyz() (int, string, string) {
	resp, err := metricsClient.Get("http://" + n.metrics + "/readyz")
	if err != nil {
		return 0, err.Error(), ""
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(body)), resp.Header.Get("X-Xphone-Degraded")
}

// metric returns the sum of every sample of the metric name on /metrics.
func (n *clusterNode) metric(name string) float64 {
	n.t.Helper()
	resp, err := metricsClient.Get("http://" + n.metrics + "/metrics")
	if err != nil {
		n.t.Fatalf("node %s /metrics: %v", n.id, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `(\{[^}]*\})? (\S+)$`)
	var sum float64
	for _, m := range re.FindAllStringSubmatch(string(body), -1) {
		v, err := strconv.ParseFloat(m[2], 64)
		if err == nil {
			sum += v
		}
	}
	return sum
}
