package auth

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"xphone/configs"
)

func testLogin() configs.Login {
	return configs.Login{
		SlowAfter:     3,
		MaxFailures:   10,
		FailureWindow: configs.Duration(15 * time.Minute),
		Lockout:       configs.Duration(15 * time.Minute),
		SessionTTL:    configs.Duration(12 * time.Hour),
	}
}

func TestThrottleDelayAndLockout(t *testing.T) {
	tests := []struct {
		fails      int
		wantDelay  time.Duration
		wantLocked time.Duration
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
			clk := newFakeClock()
			th := NewThrottle(testLogin(), clk.Now)
			for range tt.fails {
				th.Fail("192.0.2.1", "1001")
			}
			delay, locked := th.Check("192.0.2.1", "1001")
			if delay != tt.wantDelay || locked != tt.wantLocked {
				t.Errorf("Check = %v, %v; want %v, %v", delay, locked, tt.wantDelay, tt.wantLocked)
			}
		})
	}
}

func TestThrottleKeys(t *testing.T) {
	tests := []struct {
		name       string
		fail       func(th *Throttle)
		ip, ext    string
		wantDelay  time.Duration
		wantLocked time.Duration
	}{
		{"ip counted across extensions", func(th *Throttle) {
			for i := range 4 {
				th.Fail("192.0.2.1", fmt.Sprint(1000+i))
			}
		}, "192.0.2.1", "1009", 2 * time.Second, 0},
		{"extension counted across ips", func(th *Throttle) {
			for i := range 10 {
				th.Fail(fmt.Sprint("192.0.2.", i), "1001")
			}
		}, "198.51.100.1", "1001", 0, 15 * time.Minute},
		{"unrelated ip and extension untouched", func(th *Throttle) {
			for range 10 {
				th.Fail("192.0.2.1", "1001")
			}
		}, "198.51.100.1", "1002", 0, 0},
		{"max of ip and extension counts", func(th *Throttle) {
			for range 3 {
				th.Fail("192.0.2.1", "1001")
			}
			for range 2 {
				th.Fail("192.0.2.2", "1001")
			}
		}, "192.0.2.1", "1001", 3 * time.Second, 0},
		{"succeed clears extension only", func(th *Throttle) {
			for range 5 {
				th.Fail("192.0.2.1", "1001")
			}
			th.Succeed("192.0.2.1", "1001")
		}, "192.0.2.1", "1002", 3 * time.Second, 0},
		{"succeed clears extension lock", func(th *Throttle) {
			for i := range 10 {
				th.Fail(fmt.Sprint("192.0.2.", i), "1001")
			}
			th.Succeed("192.0.2.99", "1001")
		}, "198.51.100.1", "1001", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			th := NewThrottle(testLogin(), newFakeClock().Now)
			tt.fail(th)
			delay, locked := th.Check(tt.ip, tt.ext)
			if delay != tt.wantDelay || locked != tt.wantLocked {
				t.Errorf("Check = %v, %v; want %v, %v", delay, locked, tt.wantDelay, tt.wantLocked)
			}
		})
	}
}

func TestThrottleOverTime(t *testing.T) {
	type step struct {
		advance    time.Duration
		fails      int
		wantDelay  time.Duration
		wantLocked time.Duration
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
		{"lockout shorter than window relocks on next failure", 5 * time.Minute, []step{
			{0, 10, 0, 5 * time.Minute},
			{5 * time.Minute, 0, 5 * time.Second, 0},
			{0, 1, 0, 5 * time.Minute},
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
					th.Fail("192.0.2.1", "1001")
				}
				delay, locked := th.Check("192.0.2.1", "1001")
				if delay != s.wantDelay || locked != s.wantLocked {
					t.Fatalf("step %d: Check = %v, %v; want %v, %v", i, delay, locked, s.wantDelay, s.wantLocked)
				}
			}
		})
	}
}

func TestThrottleBoundedMemory(t *testing.T) {
	clk := newFakeClock()
	th := NewThrottle(testLogin(), clk.Now)
	th.maxTracked = 6
	for i := range 100 {
		th.Fail(fmt.Sprint("192.0.2.", i), "1001")
		for range 50 {
			th.Fail(fmt.Sprint("198.51.100.", i), "1002")
		}
	}
	if n := len(th.entries); n > 6 || th.order.Len() != n {
		t.Fatalf("tracking %d keys (list %d), cap 6", n, th.order.Len())
	}
	for _, e := range th.entries {
		if n := len(e.Value.(*failures).times); n > 10 {
			t.Errorf("%d failure times kept, want at most MaxFailures", n)
		}
	}
	// The most recent offender is still tracked.
	if _, locked := th.Check("198.51.100.99", "9999"); locked == 0 {
		t.Error("most recent IP was evicted")
	}
	clk.Advance(time.Hour)
	th.Check("192.0.2.1", "1001")
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
				th.Check(ip, ext)
				th.Fail(ip, ext)
				if j%50 == 0 {
					th.Succeed(ip, ext)
					clk.Advance(time.Second)
				}
			}
		})
	}
	wg.Wait()
	if _, locked := th.Check("192.0.2.0", "x"); locked == 0 {
		t.Error("IP with 500 failures is not locked")
	}
}
