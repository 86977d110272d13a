package auth

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"xphone/configs"
)

func testLogin() configs.Login {
	return configs.Login{
		SlowAfter:            3,
		MaxFailures:          10,
		ExtensionMaxFailures: 30,
		FailureWindow:        configs.Duration(15 * time.Minute),
		Lockout:              configs.Duration(15 * time.Minute),
		SessionTTL:           configs.Duration(12 * time.Hour),
	}
}

// fail reserves an attempt and records it as a wrong password.
func fail(t *testing.T, th *Throttle, ip, ext string) {
	t.Helper()
	v := th.Reserve(ip, ext)
	if v.Attempt == nil {
		t.Fatalf("attempt from %s for %s refused (%s, retry %v) while recording failures", ip, ext, v.Refused, v.RetryAfter)
	}
	v.Attempt.Fail()
}

// succeed reserves an attempt and records a good password.
func succeed(t *testing.T, th *Throttle, ip, ext string) {
	t.Helper()
	v := th.Reserve(ip, ext)
	if v.Attempt == nil {
		t.Fatalf("login from %s for %s refused (%s)", ip, ext, v.Refused)
	}
	v.Attempt.Succeed()
}

// tryFail records a wrong password if the attempt is granted.
func tryFail(th *Throttle, ip, ext string) {
	if v := th.Reserve(ip, ext); v.Attempt != nil {
		v.Attempt.Fail()
	}
}

// probe reserves and releases an attempt, returning the verdict.
func probe(th *Throttle, ip, ext string) Verdict {
	v := th.Reserve(ip, ext)
	if v.Attempt != nil {
		v.Attempt.Release()
	}
	return v
}

func TestThrottleDelayAndLockout(t *testing.T) {
	tests := []struct {
		fails     int
		wantDelay time.Duration
		wantRetry time.Duration
	}{
		{0, 0, 0},
		{2, 0, 0},
		{3, time.Second, 0},
		{4, 2 * time.Second, 0},
		{7, 5 * time.Second, 0},
		{9, 5 * time.Second, 0},
		{10, 0, 15 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.fails, " failures"), func(t *testing.T) {
			th := NewThrottle(testLogin(), newFakeClock().Now)
			for range tt.fails {
				fail(t, th, "192.0.2.1", "1001")
			}
			v := probe(th, "192.0.2.1", "1001")
			if v.Delay != tt.wantDelay || v.RetryAfter != tt.wantRetry {
				t.Errorf("Reserve = delay %v retry %v; want %v, %v", v.Delay, v.RetryAfter, tt.wantDelay, tt.wantRetry)
			}
			if (v.Attempt == nil) != (tt.wantRetry > 0) || (tt.wantRetry > 0 && v.Refused != ScopeAddress) {
				t.Errorf("attempt %v refused %q; want refused only when locked, by the address", v.Attempt, v.Refused)
			}
		})
	}
}

func TestThrottleKeys(t *testing.T) {
	tests := []struct {
		name      string
		fail      func(t *testing.T, th *Throttle)
		ip, ext   string
		wantDelay time.Duration
		wantScope Scope // "" = granted
	}{
		{"address counted across extensions", func(t *testing.T, th *Throttle) {
			for i := range 4 {
				fail(t, th, "192.0.2.1", fmt.Sprint(1000+i))
			}
		}, "192.0.2.1", "1009", 2 * time.Second, ""},
		{"address locked across extensions", func(t *testing.T, th *Throttle) {
			for i := range 10 {
				fail(t, th, "192.0.2.1", fmt.Sprint(1000+i))
			}
		}, "192.0.2.1", "1009", 0, ScopeAddress},
		{"extension failures do not slow a new address", func(t *testing.T, th *Throttle) {
			for i := range 29 {
				fail(t, th, fmt.Sprint("192.0.2.", i), "1001")
			}
		}, "198.51.100.1", "1001", 0, ""},
		{"extension locked for new addresses at its own threshold", func(t *testing.T, th *Throttle) {
			for i := range 30 {
				fail(t, th, fmt.Sprint("192.0.2.", i), "1001")
			}
		}, "198.51.100.1", "1001", 0, ScopeExtension},
		{"known address passes the extension lock", func(t *testing.T, th *Throttle) {
			succeed(t, th, "198.51.100.1", "1001")
			for i := range 30 {
				fail(t, th, fmt.Sprint("192.0.2.", i), "1001")
			}
		}, "198.51.100.1", "1001", 0, ""},
		{"known for one extension only", func(t *testing.T, th *Throttle) {
			succeed(t, th, "198.51.100.1", "1002")
			for i := range 30 {
				fail(t, th, fmt.Sprint("192.0.2.", i), "1001")
			}
		}, "198.51.100.1", "1001", 0, ScopeExtension},
		{"known address still has its own limit", func(t *testing.T, th *Throttle) {
			succeed(t, th, "198.51.100.1", "1001")
			for range 10 {
				fail(t, th, "198.51.100.1", "1001")
			}
		}, "198.51.100.1", "1001", 0, ScopeAddress},
		{"unrelated address and extension untouched", func(t *testing.T, th *Throttle) {
			for range 10 {
				fail(t, th, "192.0.2.1", "1001")
			}
		}, "198.51.100.1", "1002", 0, ""},
		{"success does not reset the address's failures", func(t *testing.T, th *Throttle) {
			for range 5 {
				fail(t, th, "192.0.2.1", "1001")
			}
			succeed(t, th, "192.0.2.1", "1001")
		}, "192.0.2.1", "1002", 3 * time.Second, ""},
		{"success does not lift the extension lock for others", func(t *testing.T, th *Throttle) {
			succeed(t, th, "198.51.100.9", "1001")
			for i := range 30 {
				fail(t, th, fmt.Sprint("192.0.2.", i), "1001")
			}
			succeed(t, th, "198.51.100.9", "1001")
		}, "198.51.100.1", "1001", 0, ScopeExtension},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			th := NewThrottle(testLogin(), newFakeClock().Now)
			tt.fail(t, th)
			v := probe(th, tt.ip, tt.ext)
			if v.Refused != tt.wantScope || v.Delay != tt.wantDelay {
				t.Errorf("Reserve = refused %q delay %v; want %q, %v", v.Refused, v.Delay, tt.wantScope, tt.wantDelay)
			}
		})
	}
}

func TestThrottleOverTime(t *testing.T) {
	type step struct {
		advance   time.Duration
		fails     int
		wantDelay time.Duration
		wantRetry time.Duration
	}
	tests := []struct {
		name    string
		lockout time.Duration
		steps   []step
	}{
		{"failures leave the window", 15 * time.Minute, []step{
			{0, 5, 3 * time.Second, 0},
			{14 * time.Minute, 0, 3 * time.Second, 0},
			{time.Minute, 0, 0, 0},
		}},
		{"window slides per failure", 15 * time.Minute, []step{
			{0, 3, time.Second, 0},
			{10 * time.Minute, 1, 2 * time.Second, 0},
			{5 * time.Minute, 0, 0, 0}, // first three expired, one left
		}},
		{"lock counts down and ends", 15 * time.Minute, []step{
			{0, 10, 0, 15 * time.Minute},
			{5 * time.Minute, 0, 0, 10 * time.Minute},
			{10 * time.Minute, 0, 0, 0},
		}},
		{"lockout longer than window", time.Hour, []step{
			{0, 10, 0, time.Hour},
			{30 * time.Minute, 0, 0, 30 * time.Minute},
			{30 * time.Minute, 0, 0, 0},
		}},
		{"lockout shorter than window: refused until a failure leaves the window", 5 * time.Minute, []step{
			{0, 10, 0, 5 * time.Minute},
			{5 * time.Minute, 0, 0, 10 * time.Minute},
			{10 * time.Minute, 0, 0, 0},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newFakeClock()
			cfg := testLogin()
			cfg.Lockout = configs.Duration(tt.lockout)
			th := NewThrottle(cfg, clk.Now)
			for i, s := range tt.steps {
				clk.Advance(s.advance)
				for range s.fails {
					fail(t, th, "192.0.2.1", "1001")
				}
				v := probe(th, "192.0.2.1", "1001")
				if v.Delay != s.wantDelay || v.RetryAfter != s.wantRetry {
					t.Fatalf("step %d: Reserve = delay %v retry %v; want %v, %v", i, v.Delay, v.RetryAfter, s.wantDelay, s.wantRetry)
				}
			}
		})
	}
}

// TestThrottleReservesInFlightAttempts: attempts that have not finished
// count, so the 11th parallel attempt is refused before any has failed.
func TestThrottleReservesInFlightAttempts(t *testing.T) {
	th := NewThrottle(testLogin(), newFakeClock().Now)
	var granted []*Attempt
	var delays []time.Duration
	for range 100 {
		v := th.Reserve("192.0.2.1", "1001")
		if v.Attempt == nil {
			if v.Refused != ScopeAddress || v.RetryAfter <= 0 {
				t.Fatalf("refusal %+v, want the address scope and a retry time", v)
			}
			continue
		}
		granted = append(granted, v.Attempt)
		delays = append(delays, v.Delay)
	}
	want := []time.Duration{0, 0, 0, 1, 2, 3, 4, 5, 5, 5}
	if len(granted) != 10 {
		t.Fatalf("%d of 100 parallel attempts granted, want 10", len(granted))
	}
	for i, d := range delays {
		if d != want[i]*time.Second {
			t.Errorf("attempt %d delay %v, want %v", i, d, want[i]*time.Second)
		}
	}
	granted[0].Release() // e.g. a request that ended before its check
	granted[0].Fail()    // finished twice: no effect
	if v := probe(th, "192.0.2.1", "1001"); v.Attempt == nil {
		t.Fatalf("a released slot was not given back: %+v", v)
	}
	for _, a := range granted[1:] {
		a.Fail()
	}
	held := th.Reserve("192.0.2.1", "1001") // the 10th check, still running
	if held.Attempt == nil {
		t.Fatalf("9 failures: the 10th check was refused: %+v", held)
	}
	if v := probe(th, "192.0.2.1", "1001"); v.Attempt != nil {
		t.Fatal("9 failures and one check in flight: an 11th check was granted")
	}
	held.Attempt.Fail()
	if n := len(th.inflight); n != 0 {
		t.Errorf("%d in-flight keys left after every attempt finished", n)
	}
}

// checkAll runs attempts over workers goroutines, each checking a wrong
// password when granted; it returns the number of password checks.
func checkAll(th *Throttle, attempts, workers int, ip func(i int) string) int64 {
	var checks atomic.Int64
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				v := th.Reserve(ip(i), "1001")
				if v.Attempt == nil {
					continue
				}
				checks.Add(1)
				v.Attempt.Fail()
			}
		})
	}
	for i := range attempts {
		next <- i
	}
	close(next)
	wg.Wait()
	return checks.Load()
}

func TestThrottleHoldsUnderParallelAttempts(t *testing.T) {
	tests := []struct {
		name      string
		addresses int
		want      int64
	}{
		{"one address", 1, 10},
		{"100 addresses, one extension", 100, 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			th := NewThrottle(testLogin(), newFakeClock().Now)
			got := checkAll(th, 10_000, 200, func(i int) string { return fmt.Sprint("10.0.", i%tt.addresses/256, ".", i%tt.addresses%256) })
			if got != tt.want {
				t.Fatalf("%d password checks for 10,000 attempts over 200 workers, want exactly %d", got, tt.want)
			}
		})
	}
}

func TestThrottleKnownAddressesBounded(t *testing.T) {
	clk := newFakeClock()
	th := NewThrottle(testLogin(), clk.Now)
	for i := range 20 {
		succeed(t, th, fmt.Sprint("192.0.2.", i), "1001")
	}
	succeed(t, th, "192.0.2.19", "1001") // again: not a duplicate
	if n := len(th.known["1001"]); n != maxKnownPerExt {
		t.Fatalf("%d known addresses, want the newest %d", n, maxKnownPerExt)
	}
	for i := range 30 {
		fail(t, th, fmt.Sprint("198.51.100.", i), "1001")
	}
	if v := probe(th, "192.0.2.19", "1001"); v.Attempt == nil {
		t.Error("the newest known address was refused")
	}
	if v := probe(th, "192.0.2.0", "1001"); v.Refused != ScopeExtension {
		t.Errorf("the oldest known address (forgotten) got %+v, want the extension's refusal", v)
	}
	clk.Advance(KnownFor)
	for i := range 30 {
		fail(t, th, fmt.Sprint("203.0.113.", i), "1001")
	}
	if v := probe(th, "192.0.2.19", "1001"); v.Refused != ScopeExtension {
		t.Errorf("an address known %v ago passed the extension lock: %+v", KnownFor, v)
	}
}

func TestThrottleBoundedMemory(t *testing.T) {
	clk := newFakeClock()
	th := NewThrottle(testLogin(), clk.Now)
	th.maxTracked = 6
	for i := range 100 {
		tryFail(th, fmt.Sprint("192.0.2.", i), "1001")
		for range 50 {
			tryFail(th, fmt.Sprint("198.51.100.", i), fmt.Sprint(2000+i))
		}
	}
	if n := len(th.entries); n > 6 || th.order.Len() != n {
		t.Fatalf("tracking %d keys (list %d), cap 6", n, th.order.Len())
	}
	for _, e := range th.entries {
		if n := len(e.Value.(*failures).times); n > 30 {
			t.Errorf("%d failure times kept, want at most the key's limit", n)
		}
	}
	// The most recent offender is still tracked.
	if v := probe(th, "198.51.100.99", "9999"); v.Refused != ScopeAddress {
		t.Error("most recent IP was evicted")
	}
	clk.Advance(time.Hour)
	probe(th, "192.0.2.1", "1001")
	if n := len(th.entries); n != 0 || th.order.Len() != 0 {
		t.Errorf("%d entries left after everything expired", n)
	}
}

func TestThrottleConcurrent(t *testing.T) {
	clk := newFakeClock()
	th := NewThrottle(testLogin(), clk.Now)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 500 {
				ip, ext := fmt.Sprint("192.0.2.", i), fmt.Sprint(1000+j%7)
				v := th.Reserve(ip, ext)
				switch {
				case v.Attempt == nil:
				case j%50 == 0:
					v.Attempt.Succeed()
					clk.Advance(time.Second)
				default:
					v.Attempt.Fail()
				}
			}
		})
	}
	wg.Wait()
	if v := probe(th, "192.0.2.0", "x"); v.Refused != ScopeAddress {
		t.Error("IP with hundreds of failures is not locked")
	}
}
