package web

import (
	"crypto/tls"
	"net/http"
	"testing"
	"time"

	"xphone/configs"
)

func TestTokenBucket(t *testing.T) {
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	b := newTokenBucket(2, 3, t0) // 2 per second, burst 3
	steps := []struct {
		at   time.Duration
		want bool
	}{
		{0, true}, {0, true}, {0, true}, {0, false}, // the burst, then empty
		{400 * time.Millisecond, false}, // 0.8 token
		{500 * time.Millisecond, true},  // 1.0 token
		{500 * time.Millisecond, false},
		{10 * time.Second, true}, {10 * time.Second, true}, {10 * time.Second, true}, // refilled to the burst only
		{10 * time.Second, false},
		{9 * time.Second, false}, // a clock going back refills nothing
	}
	for i, s := range steps {
		if got := b.take(t0.Add(s.at)); got != s.want {
			t.Fatalf("step %d at %v: take = %v, want %v", i, s.at, got, s.want)
		}
	}
}

func TestLogLimiter(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newLogLimiter(func() time.Time { return now }, time.Minute)
	if ok, n := l.allow("a"); !ok || n != 0 {
		t.Fatalf("first event: %v %d", ok, n)
	}
	for range 5 {
		if ok, _ := l.allow("a"); ok {
			t.Fatal("a repeat within the interval was let through")
		}
	}
	if ok, _ := l.allow("b"); !ok {
		t.Fatal("another key was limited")
	}
	now = now.Add(time.Minute)
	if ok, n := l.allow("a"); !ok || n != 5 {
		t.Fatalf("after the interval: %v, %d suppressed; want true, 5", ok, n)
	}
	for i := range maxSecLogKeys + 10 {
		l.allow(string(rune(i)) + "x")
	}
	if len(l.keys) > maxSecLogKeys {
		t.Fatalf("%d keys kept, cap %d", len(l.keys), maxSecLogKeys)
	}
}

var dummyTLS = &tls.ConnectionState{}

func TestOriginProblem(t *testing.T) {
	s := &Server{cfg: &configs.Config{HTTP: configs.HTTP{AllowedOrigins: []string{"https://pbx.example.com:8443", "http://lab.example"}}}}
	tests := []struct {
		host, origin string
		tls          bool
		want         string
	}{
		{"xphone.example:81", "https://xphone.example:81", true, ""},
		{"xphone.example", "https://xphone.example:443", true, ""},
		{"xphone.example:443", "https://XPHONE.example", true, ""},
		{"[::1]:81", "https://[::1]:81", true, ""},
		{"xphone.example:81", "https://pbx.example.com:8443", true, ""},
		{"xphone.example:81", "http://lab.example:80", true, ""},
		{"xphone.example:81", "", true, "missing Origin"},
		{"xphone.example:81", "http://xphone.example:81", true, "foreign Origin"},
		{"xphone.example:81", "https://xphone.example:82", true, "foreign Origin"},
		{"xphone.example:81", "https://xphone.example", true, "foreign Origin"},
		{"xphone.example:81", "https://pbx.example.com", true, "foreign Origin"},
		{"xphone.example:81", "null", true, "malformed Origin"},
		{"xphone.example:81", "https://xphone.example:81/path", true, "malformed Origin"},
		{"xphone.example:81", "https://user@xphone.example:81", true, "malformed Origin"},
		{"xphone.example:81", "ftp://xphone.example:81", true, "malformed Origin"},
		{"xphone.example:81", "http://xphone.example:81", false, ""}, // plain HTTP behind nothing (tests)
	}
	for _, tt := range tests {
		r, _ := http.NewRequest(http.MethodGet, "https://"+tt.host+"/xphone/ws", nil)
		r.Host = tt.host
		if tt.origin != "" {
			r.Header.Set("Origin", tt.origin)
		}
		if tt.tls {
			r.TLS = dummyTLS
		}
		if got := s.originProblem(r); got != tt.want {
			t.Errorf("Host %s Origin %q: %q, want %q", tt.host, tt.origin, got, tt.want)
		}
	}
}

func TestThrottleKey(t *testing.T) {
	for ip, want := range map[string]string{
		"192.0.2.7":            "192.0.2.7",
		"::ffff:192.0.2.7":     "::ffff:192.0.2.7",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::1": "2001:db8:1:2::/64",
		"2001:db8:1:3::1":      "2001:db8:1:3::/64",
		"fe80::1%eth0":         "fe80::/64",
		"not an address":       "not an address",
	} {
		if got := throttleKey(ip); got != want {
			t.Errorf("throttleKey(%q) = %q, want %q", ip, got, want)
		}
	}
}
