package siptrunk

import (
	"errors"
	"fmt"
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
// drain_grace 0: SIGTERM stops at once, without draining (docs/cluster.md).
const sigtermConfig = `server: {drain_grace: 0s}
http:
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

// sigterm20Config: like sigtermConfig, with plain RTP so a raw SIP peer
// can hold 20 calls in room 800.
var sigterm20Config = strings.Replace(strings.Replace(sigtermConfig, "expiry: 4s", "expiry: 60s", 1),
	"    codecs: [pcmu]\n", "    codecs: [pcmu]\n    media: rtp\n", 1)

// TestSIGTERMWith20CallsByesWithin5s runs the real binary registered at
// kamailio with 20 live calls from a raw SIP peer (all in room 800) that
// never answers a BYE (a PBX gone quiet: one slow dialog must not delay
// the others). SIGTERM → each of the 20 dialogs gets its BYE within 5 s
// of the signal, kamailio gets the unREGISTER, and the process exits 0.
func TestSIGTERMWith20CallsByesWithin5s(t *testing.T) {
	dir := t.TempDir()
	bin := buildXphone(t, dir)
	kam := startKamailio(t)
	cfg := filepath.Join(dir, "xphone.yaml")
	must(t, os.WriteFile(cfg, []byte(sigterm20Config), 0o600))
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
	peer := newRawSocket(t, "127.0.0.2:5096")
	const calls = 20
	for i := range calls {
		callID := fmt.Sprintf("sigterm-%d", i)
		peer.send(t, peer.rawInvite(callID, "", plainOffer))
		res, ok := peer.await("SIP/2.0 200", 5*time.Second)
		for ok && !strings.Contains(res, "Call-ID: "+callID+"\r\n") {
			res, ok = peer.await("SIP/2.0 200", 5*time.Second)
		}
		if !ok {
			t.Fatalf("call %d not answered:\n%s", i, out)
		}
		peer.send(t, peer.ack(callID, res))
	}
	time.Sleep(500 * time.Millisecond)
	sent := time.Now()
	must(t, cmd.Process.Signal(syscall.SIGTERM))
	byes := map[string]time.Duration{}
	for len(byes) < calls {
		req, ok := peer.await("BYE ", time.Until(sent.Add(6*time.Second)))
		if !ok {
			break
		}
		for _, l := range strings.Split(req, "\r\n") {
			if id, found := strings.CutPrefix(l, "Call-ID: "); found {
				if _, dup := byes[id]; !dup {
					byes[id] = time.Since(sent)
				}
			}
		}
	}
	var last time.Duration
	for _, d := range byes {
		last = max(last, d)
	}
	t.Logf("%d BYEs, the last %s after SIGTERM", len(byes), last.Round(time.Millisecond))
	if len(byes) != calls || last > 5*time.Second {
		t.Errorf("%d of %d dialogs got a BYE, the last after %s; want all within 5 s", len(byes), calls, last)
	}
	select {
	case err := <-exited:
		exited <- err
		if err != nil {
			t.Errorf("xphone exited with %v", err)
		}
		t.Logf("xphone exited %s after SIGTERM", time.Since(sent).Round(time.Millisecond))
	case <-time.After(10 * time.Second):
		t.Fatalf("xphone still running 10 s after SIGTERM:\n%s", out)
	}
	if !strings.Contains(kam.Output(), "expires=0") {
		t.Errorf("kamailio saw no unREGISTER (Expires: 0):\n%s", kam.Output())
	}
}
