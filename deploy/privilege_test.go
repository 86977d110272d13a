package deploy

import (
	"crypto/tls"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// nobody is the unprivileged user (and group) the binary runs as in the
// test, standing in for the unit's xphone user.
const nobody = 65534

// openDir is a directory nobody may enter: t.TempDir's are root-only.
func openDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "xphone-deploy")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// startUnprivileged starts bin as nobody with no new privileges and either
// the unit's one capability or none, serving 127.0.0.1:81 with a data
// directory only nobody may write, as the unit's StateDirectory.
func startUnprivileged(t *testing.T, bin string, withCap bool) (*exec.Cmd, *strings.Builder) {
	t.Helper()
	data := filepath.Join(openDir(t), "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(data, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	caps, bounding := "-all", "-all"
	if withCap {
		caps, bounding = "+net_bind_service", "-all,+net_bind_service"
	}
	cmd := exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--no-new-privs",
		"--inh-caps="+caps, "--ambient-caps="+caps, "--bounding-set="+bounding,
		bin, "-data-dir", data, "-http-addr", "127.0.0.1:81", "-metrics-addr", "127.0.0.1:0")
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	return cmd, out
}

// TestPort81WithOnlyBindCapability runs the binary the way the unit does —
// not root, no new privileges, no capability but CAP_NET_BIND_SERVICE — and
// checks that it serves port 81 and exits cleanly on SIGTERM; without the
// capability it refuses to start and says which capability is missing.
// (The unit's other sandboxing needs systemd as PID 1, which CI has not.)
func TestPort81WithOnlyBindCapability(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("needs root to drop to an unprivileged user with setpriv (CI runs as root)")
	}
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Fatal("setpriv not found: apt-get install -y util-linux")
	}
	bin := buildXphone(t, openDir(t))

	cmd, out := startUnprivileged(t, bin, false)
	if err := cmd.Wait(); err == nil || !strings.Contains(out.String(), "CAP_NET_BIND_SERVICE") {
		t.Fatalf("without the capability: %v, want a refusal naming CAP_NET_BIND_SERVICE:\n%s", err, out)
	}

	cmd, out = startUnprivileged(t, bin, true)
	if !serving("https://127.0.0.1:81/healthz") {
		t.Fatalf("not serving port 81 as an unprivileged user:\n%s", out)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, out)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("still running 15 s after SIGTERM:\n%s", out)
	}
	if !strings.Contains(out.String(), "generated password") {
		t.Errorf("no passwords generated into the data directory:\n%s", out)
	}
}

// serving polls url until it answers 200, for up to 20 s.
func serving(url string) bool {
	hc := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // the test's self-signed server
	defer hc.CloseIdleConnections()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if resp, err := hc.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return true
			}
		}
	}
	return false
}
