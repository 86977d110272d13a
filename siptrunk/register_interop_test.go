package siptrunk

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"xphone/configs"
)

// lockedBuffer collects a process's output safely.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// optionsPing reports whether addr answers an OPTIONS within 300 ms.
func optionsPing(addr string) bool {
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		return false
	}
	defer conn.Close()
	msg := strings.Replace(rawRequest("OPTIONS", "SIP/2.0", "1 OPTIONS"), "127.0.0.2:5090", conn.LocalAddr().String(), 1)
	dst, _ := net.ResolveUDPAddr("udp4", addr)
	if _, err := conn.WriteTo([]byte(msg), dst); err != nil {
		return false
	}
	_ = conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	buf := make([]byte, 2048)
	n, _, err := conn.ReadFrom(buf)
	return err == nil && strings.Contains(string(buf[:n]), " 200 ")
}

// waitStatus polls the trunk's registration until cond holds.
func waitStatus(t *testing.T, tr *Trunk, d time.Duration, what string, cond func(ok bool, n int, err error) bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond(tr.Status()) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	ok, n, err := tr.Status()
	t.Fatalf("timed out after %s waiting for %s (registered=%v count=%d err=%v)", d, what, ok, n, err)
}

// TestRegisterDigest: REGISTER with digest (qop=auth) to kamailio, then
// re-register before the 4 s expiry runs out.
func TestRegisterDigest(t *testing.T) {
	k := startKamailio(t)
	tr := newTestTrunk(t, configs.Trunk{Address: kamailioSIP,
		Register: &configs.TrunkRegister{User: "xphone", Password: "s3cret", Expiry: configs.Duration(4 * time.Second)}}, nil)
	start := time.Now()
	waitStatus(t, tr, 5*time.Second, "registered", func(ok bool, n int, _ error) bool { return ok && n >= 1 })
	t.Logf("registered in %s", time.Since(start))
	waitStatus(t, tr, 8*time.Second, "re-registered", func(ok bool, n int, _ error) bool { return ok && n >= 2 })
	t.Logf("re-registered after %s", time.Since(start))
	if !strings.Contains(k.Output(), "REGISTER ok xphone") {
		t.Errorf("kamailio did not log the registration:\n%s", k.Output())
	}
}

// TestRegisterWrongPassword: the refusal is surfaced and retried with
// backoff that grows, is jittered and is capped (bounds shortened to
// 100 ms … 800 ms so the test measures real REGISTER attempts quickly).
func TestRegisterWrongPassword(t *testing.T) {
	startKamailio(t)
	tr, err := New(Config{Trunk: configs.Trunk{Name: "pbx", Address: kamailioSIP, Listen: ourSIP,
		Register: &configs.TrunkRegister{User: "xphone", Password: "wrong"}}, MediaIP: ourIP}, nil, testLogger())
	must(t, err)
	tr.backoff = [2]time.Duration{100 * time.Millisecond, 800 * time.Millisecond}
	must(t, tr.Start())
	t.Cleanup(func() { _ = tr.Close(context.Background()) })
	waitStatus(t, tr, 5*time.Second, "registration error", func(ok bool, _ int, err error) bool { return err != nil })
	_, _, err = tr.Status()
	if !errors.Is(err, ErrRegister) || !strings.Contains(err.Error(), "401") {
		t.Errorf("err = %v, want ErrRegister with 401", err)
	}
	t.Logf("surfaced: %v", err)
	deadline := time.Now().Add(10 * time.Second)
	for len(tr.attemptTimes()) < 7 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	at := tr.attemptTimes()
	if len(at) < 7 {
		t.Fatalf("only %d REGISTER attempts in 10 s", len(at))
	}
	var gaps []time.Duration
	for i := 1; i < len(at); i++ {
		gaps = append(gaps, at[i].Sub(at[i-1]).Round(time.Millisecond))
	}
	t.Logf("intervals between REGISTER attempts: %v", gaps)
	checkBackoff(t, gaps, 100*time.Millisecond, 800*time.Millisecond)
}

// checkBackoff: gap i is lo·2^i (capped at hi) within the ±25 % jitter
// (plus 150 ms for the round trip), and the gaps are not all exact.
func checkBackoff(t *testing.T, gaps []time.Duration, lo, hi time.Duration) {
	t.Helper()
	exact := true
	for i, g := range gaps {
		want := min(lo<<i, hi)
		if g < want*3/4 || g > want*5/4+150*time.Millisecond {
			t.Errorf("interval %d = %s, want %s ±25 %%", i+1, g, want)
		}
		if g.Round(10*time.Millisecond) != want {
			exact = false
		}
	}
	if exact {
		t.Error("intervals without jitter")
	}
}

// TestReregisterAfterRestart: kamailio is killed and started again (it
// forgets every binding); OPTIONS keep-alives notice the outage, the
// status says so, and we register again as soon as it answers.
func TestReregisterAfterRestart(t *testing.T) {
	k := startKamailio(t)
	tr, err := New(Config{Trunk: configs.Trunk{Name: "pbx", Address: kamailioSIP, Listen: ourSIP, KeepAlive: configs.Duration(300 * time.Millisecond),
		Register: &configs.TrunkRegister{User: "xphone", Password: "s3cret", Expiry: configs.Duration(60 * time.Second)}}, MediaIP: ourIP}, nil, testLogger())
	must(t, err)
	tr.backoff = [2]time.Duration{200 * time.Millisecond, time.Second}
	must(t, tr.Start())
	t.Cleanup(func() { _ = tr.Close(context.Background()) })
	waitStatus(t, tr, 5*time.Second, "registered", func(ok bool, n int, _ error) bool { return ok && n >= 1 })
	_, before, _ := tr.Status()
	k.stop()
	down := time.Now()
	waitStatus(t, tr, 5*time.Second, "outage noticed", func(ok bool, _ int, err error) bool { return !ok && err != nil })
	_, _, err = tr.Status()
	t.Logf("outage noticed after %s: %v", time.Since(down).Round(time.Millisecond), err)
	time.Sleep(time.Second)
	up := time.Now()
	k.start()
	waitStatus(t, tr, 5*time.Second, "registered again", func(ok bool, n int, _ error) bool { return ok && n > before })
	t.Logf("registered again %s after kamailio was started again", time.Since(up).Round(time.Millisecond))
	waitLog(t, k, "REGISTER ok xphone", time.Second)
}
