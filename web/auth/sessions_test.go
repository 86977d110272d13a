package auth

import (
	"encoding/base64"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestSessionsCreateGet(t *testing.T) {
	clk := newFakeClock()
	s := NewSessions(time.Hour, clk.Now)
	a, b := s.Create("1001"), s.Create("1001")
	if a == b {
		t.Fatal("two sessions got the same token")
	}
	raw, err := base64.RawURLEncoding.DecodeString(a)
	if err != nil || len(raw) != 32 {
		t.Fatalf("token %q: %d bytes, %v; want 32 base64url bytes", a, len(raw), err)
	}
	if ext, ok := s.Get(a); !ok || ext != "1001" {
		t.Errorf("Get(a) = %q, %v", ext, ok)
	}
	for _, bad := range []string{"", "nope", a + "x"} {
		if ext, ok := s.Get(bad); ok || ext != "" {
			t.Errorf("Get(%q) = %q, %v; want not found", bad, ext, ok)
		}
	}
}

func TestSessionsSlidingExpiry(t *testing.T) {
	tests := []struct {
		name  string
		steps []time.Duration // advance, then Get
		want  []bool
	}{
		{"used within ttl stays alive", []time.Duration{50 * time.Minute, 50 * time.Minute, 59 * time.Minute}, []bool{true, true, true}},
		{"idle for ttl expires", []time.Duration{time.Hour}, []bool{false}},
		{"expired stays expired", []time.Duration{61 * time.Minute, 0}, []bool{false, false}},
		{"touch then idle", []time.Duration{30 * time.Minute, time.Hour}, []bool{true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newFakeClock()
			s := NewSessions(time.Hour, clk.Now)
			tok := s.Create("1002")
			for i, d := range tt.steps {
				clk.Advance(d)
				if _, ok := s.Get(tok); ok != tt.want[i] {
					t.Fatalf("step %d (+%v): ok = %v, want %v", i, d, ok, tt.want[i])
				}
			}
		})
	}
}

func TestSessionsExpiredAreRemoved(t *testing.T) {
	clk := newFakeClock()
	s := NewSessions(time.Minute, clk.Now)
	old := s.Create("1001")
	clk.Advance(2 * time.Minute)
	if _, ok := s.Get(old); ok {
		t.Fatal("expired session still valid")
	}
	if len(s.byToken) != 0 || len(s.byExt) != 0 {
		t.Errorf("expired session not removed: %v %v", s.byToken, s.byExt)
	}
	// Sessions never looked up again are swept by Create as the table grows.
	for range 200 {
		s.Create("1002")
	}
	clk.Advance(2 * time.Minute)
	for range 300 {
		s.Create("1003")
	}
	if n := len(s.byToken); n != 300 {
		t.Errorf("after sweep %d sessions held, want 300", n)
	}
	if _, ok := s.byExt["1002"]; ok {
		t.Error("byExt still lists swept extension")
	}
	clk.Advance(2 * time.Minute)
	if n := s.Len(); n != 0 {
		t.Errorf("Len after expiry = %d, want 0", n)
	}
}

func TestSessionsDelete(t *testing.T) {
	clk := newFakeClock()
	s := NewSessions(time.Hour, clk.Now)
	a1, a2, b := s.Create("1001"), s.Create("1001"), s.Create("1002")
	s.Delete(a1)
	s.Delete("unknown")
	if _, ok := s.Get(a1); ok {
		t.Error("deleted session still valid")
	}
	got := s.DeleteExt("1001")
	if !slices.Equal(got, []string{a2}) {
		t.Errorf("DeleteExt = %v, want [%s]", got, a2)
	}
	if _, ok := s.Get(a2); ok {
		t.Error("session of deleted extension still valid")
	}
	if ext, ok := s.Get(b); !ok || ext != "1002" {
		t.Error("other extension's session was deleted")
	}
	if got := s.DeleteExt("1001"); len(got) != 0 {
		t.Errorf("second DeleteExt = %v", got)
	}
	if s.Len() != 1 {
		t.Errorf("Len = %d, want 1", s.Len())
	}
}

func TestSessionsConcurrent(t *testing.T) {
	clk := newFakeClock()
	s := NewSessions(time.Hour, clk.Now)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			ext := fmt.Sprint(1000 + i%3)
			for j := range 200 {
				tok := s.Create(ext)
				if got, ok := s.Get(tok); !ok || got != ext {
					t.Errorf("Get = %q, %v", got, ok)
				}
				clk.Advance(time.Millisecond)
				if j%2 == 0 {
					s.Delete(tok)
				}
			}
		})
	}
	wg.Wait()
	for i := range 3 {
		if n := len(s.DeleteExt(fmt.Sprint(1000 + i))); n == 0 {
			t.Errorf("DeleteExt(%d) removed nothing", 1000+i)
		}
	}
	if n := s.Len(); n != 0 {
		t.Errorf("Len = %d after all deleted", n)
	}
}

func TestSessionsTrimEndsLeastRecentlyUsed(t *testing.T) {
	clk := newFakeClock()
	s := NewSessions(time.Hour, clk.Now)
	var tokens []string
	for range 4 {
		clk.Advance(time.Minute)
		tokens = append(tokens, s.Create("1001"))
	}
	other := s.Create("1002")
	clk.Advance(time.Minute)
	s.Get(tokens[0]) // used again: now the most recent
	ended := s.Trim("1001", 2)
	slices.Sort(ended)
	want := []string{tokens[1], tokens[2]}
	slices.Sort(want)
	if !slices.Equal(ended, want) {
		t.Fatalf("Trim ended %v, want the two least recently used %v", ended, want)
	}
	for i, alive := range []bool{true, false, false, true} {
		if _, ok := s.Get(tokens[i]); ok != alive {
			t.Errorf("session %d alive %v, want %v", i, ok, alive)
		}
	}
	if _, ok := s.Get(other); !ok {
		t.Error("another extension's session was ended")
	}
	if ended := s.Trim("1001", 2); ended != nil {
		t.Errorf("Trim at the cap ended %v", ended)
	}
}
