package siptrunk

import (
	"bytes"
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
// backoff.
func TestRegisterWrongPassword(t *testing.T) {
	startKamailio(t)
	tr := newTestTrunk(t, configs.Trunk{Address: kamailioSIP,
		Register: &configs.TrunkRegister{User: "xphone", Password: "wrong"}}, nil)
	waitStatus(t, tr, 5*time.Second, "registration error", func(ok bool, _ int, err error) bool { return err != nil })
	_, _, err := tr.Status()
	if !errors.Is(err, ErrRegister) || !strings.Contains(err.Error(), "401") {
		t.Errorf("err = %v, want ErrRegister with 401", err)
	}
	t.Logf("surfaced: %v", err)
	if d1, d4 := backoff(1), backoff(4); d1 > 2*time.Second || d4 < 5*time.Second {
		t.Errorf("backoff(1)=%s backoff(4)=%s, want growing from ~1s", d1, d4)
	}
}
