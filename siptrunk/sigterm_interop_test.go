package siptrunk

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// sigtermConfig: a trunk registered at kamailio whose inbound 4930 is
// conference room 800 (no browser needed to keep a SIP call up).
const sigtermConfig = `http:
  listen: "127.0.0.1:18443"
media:
  interfaces: [lo]
log:
  level: info
extensions:
  - number: "1001"
    password: "not-used-here"
rooms:
  - number: "800"
    name: Room
trunks:
  - name: pbx
    address: "127.0.0.2:5080"
    listen: "127.0.0.1:5060"
    register:
      user: xphone
      password: s3cret
      expiry: 4s
    allowed_sources: ["127.0.0.2"]
    codecs: [pcmu]
    inbound:
      "4930": "800"
`

// buildXphone builds cmd/xphone into dir (the module's build cache makes
// this a few seconds).
func buildXphone(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "xphone")
	cmd := exec.Command("go", "build", "-o", bin, "xphone/cmd/xphone")
	cmd.Env = append(os.Environ(), "GOPROXY=off") // the namespace has no network
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building xphone: %v\n%s", err, out)
	}
	return bin
}

// TestSIGTERMByesAndUnregisters runs the real xphone binary: registered at
// kamailio, with baresip's call in a room. SIGTERM → baresip gets a BYE,
// kamailio an unREGISTER (Expires: 0), and the process exits 0.
func TestSIGTERMByesAndUnregisters(t *testing.T) {
	dir := t.TempDir()
	bin := buildXphone(t, dir)
	kam := startKamailio(t)
	b := startBaresip(t, callerAccount)
	cfg := filepath.Join(dir, "xphone.yaml")
	must(t, os.WriteFile(cfg, []byte(sigtermConfig), 0o600))
	out := &lockedBuffer{}
	cmd := exec.Command(bin, "-config", cfg, "-data-dir", filepath.Join(dir, "data"))
	cmd.Stdout, cmd.Stderr = out, out
	must(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	waitUntil(t, 10*time.Second, "xphone registered", func() bool { return strings.Contains(kam.Output(), "REGISTER ok xphone") })
	b.Command(t, "dial", "sip:4930@"+ourSIP)
	b.WaitEvent(t, "CALL_ESTABLISHED", 10*time.Second)
	time.Sleep(500 * time.Millisecond)

	sent := time.Now()
	must(t, cmd.Process.Signal(syscall.SIGTERM))
	b.WaitEvent(t, "CALL_CLOSED", 5*time.Second)
	t.Logf("baresip got the BYE %s after SIGTERM", time.Since(sent).Round(time.Millisecond))
	select {
	case err := <-exited:
		exited <- err // for the cleanup
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Errorf("xphone exited with %v:\n%s", err, out)
		}
		t.Logf("xphone exited %s after SIGTERM", time.Since(sent).Round(time.Millisecond))
	case <-time.After(10 * time.Second):
		t.Fatalf("xphone still running 10 s after SIGTERM:\n%s", out)
	}
	if !strings.Contains(kam.Output(), "expires=0") {
		t.Errorf("kamailio saw no unREGISTER (Expires: 0):\n%s", kam.Output())
	}
}
