package siptrunk

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"xphone/configs"
)

// virtualClock moves only when the registration loop waits: a five
// minute outage takes milliseconds. Past stop it stands still (the loop
// then waits until the trunk closes).
type virtualClock struct {
	mu    sync.Mutex
	now   time.Time
	stop  time.Time
	waits []time.Duration
}

func (c *virtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *virtualClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	if c.now.After(c.stop) {
		c.mu.Unlock()
		return nil
	}
	c.now = c.now.Add(d)
	c.waits = append(c.waits, d)
	now := c.now
	c.mu.Unlock()
	ch := make(chan time.Time, 1)
	ch <- now
	return ch
}

// outageRegistrar answers REGISTER 200 (Expires as asked) except while
// the virtual clock is inside [down, up), when it answers 503 — the link
// to the PBX is down. It returns the virtual times of the REGISTERs.
func outageRegistrar(t *testing.T, addr string, clk *virtualClock, down, up time.Time) func() []time.Time {
	t.Helper()
	var mu sync.Mutex
	var seen []time.Time
	conn, err := net.ListenPacket("udp4", addr)
	must(t, err)
	done := make(chan struct{})
	t.Cleanup(func() { _ = conn.Close(); <-done })
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			n, from, err := conn.ReadFrom(buf)
			if err != nil {
				return
			}
			msg := string(buf[:n])
			if !strings.HasPrefix(msg, "REGISTER ") {
				continue
			}
			status, now := "200 OK", clk.Now()
			if !now.Before(down) && now.Before(up) {
				status = "503 Service Unavailable"
			}
			mu.Lock()
			seen = append(seen, now)
			mu.Unlock()
			_, _ = conn.WriteTo([]byte(answerTo(msg, status)), from)
		}
	}()
	return func() []time.Time {
		mu.Lock()
		defer mu.Unlock()
		return append([]time.Time(nil), seen...)
	}
}

// TestRegistrationOutageBackoff: registered with a 300 s expiry, the
// PBX link goes down for five minutes (every REGISTER refused) and comes
// back. On virtual time with the real backoff bounds: the retries grow
// from 1 s, are jittered, never wait more than 45 s + 25 %, stay few (no
// storm), and the trunk is registered again within 60 s of the recovery.
func TestRegistrationOutageBackoff(t *testing.T) {
	clk := &virtualClock{now: time.Unix(1e9, 0)}
	start := clk.now
	down, up := start.Add(100*time.Second), start.Add(400*time.Second)
	clk.stop = up.Add(2 * time.Minute)
	registers := outageRegistrar(t, "127.0.0.2:5098", clk, down, up)
	tr, err := New(Config{Trunk: configs.Trunk{Name: "pbx", Address: "127.0.0.2:5098", Listen: ourSIP,
		Register: &configs.TrunkRegister{User: "xphone", Password: "pw", Expiry: configs.Duration(300 * time.Second)}},
		MediaIP: ourIP}, nil, testLogger())
	must(t, err)
	tr.clock = clk
	must(t, tr.Start())
	t.Cleanup(func() { _ = tr.Close(context.Background()) })
	waitStatus(t, tr, 10*time.Second, "registered again after the outage", func(ok bool, n int, _ error) bool {
		return ok && n >= 2 && !clk.Now().Before(up)
	})
	at := registers()
	var during []time.Duration // attempt times relative to the outage start
	recovered := time.Duration(-1)
	for _, a := range at {
		switch {
		case !a.Before(down) && a.Before(up):
			during = append(during, a.Sub(down))
		case !a.Before(up) && recovered < 0:
			recovered = a.Sub(up)
		}
	}
	t.Logf("REGISTERs during the 5 min outage at +%v; registered again %s after the link came back", during, recovered)
	if recovered < 0 || recovered > time.Minute {
		t.Errorf("registered again %s after recovery, want ≤ 60 s", recovered)
	}
	if len(during) > 12 {
		t.Errorf("%d REGISTERs during a 5 min outage: a retry storm", len(during))
	}
	clk.mu.Lock()
	waits := append([]time.Duration(nil), clk.waits...)
	clk.mu.Unlock()
	var backoffs []time.Duration
	for _, w := range waits {
		if w != 240*time.Second { // the refreshes at 80 % of the expiry
			backoffs = append(backoffs, w.Round(time.Millisecond))
		}
	}
	t.Logf("waits after failures: %v", backoffs)
	checkBackoff(t, backoffs, backoffMin, backoffMax)
}
