package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"xphone/store"
)

func newTestSessions(t *testing.T, ttl time.Duration, clk *fakeClock) (*Sessions, *store.SQLite) {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return NewSessions(db, ttl, clk.Now), db
}

func mustCreate(t *testing.T, s *Sessions, ext string) string {
	t.Helper()
	tok, err := s.Create(ext)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestSessionsCreateGet(t *testing.T) {
	clk := newFakeClock()
	s, db := newTestSessions(t, time.Hour, clk)
	a, b := mustCreate(t, s, "1001"), mustCreate(t, s, "1001")
	if a == b {
		t.Fatal("two sessions got the same token")
	}
	raw, err := base64.RawURLEncoding.DecodeString(a)
	if err != nil || len(raw) != 32 {
		t.Fatalf("token %q: %d bytes, %v; want 32 base64url bytes", a, len(raw), err)
	}
	if ext, err := s.Get(a); err != nil || ext != "1001" {
		t.Errorf("Get(a) = %q, %v", ext, err)
	}
	for _, bad := range []string{"", "nope", a + "x"} {
		if ext, err := s.Get(bad); !errors.Is(err, ErrNoSession) || ext != "" {
			t.Errorf("Get(%q) = %q, %v; want ErrNoSession", bad, ext, err)
		}
	}
	// The store keeps a hash, never the token itself.
	if _, err := db.GetSession(context.Background(), a); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the raw token is a key in the store (%v)", err)
	}
	if ss, err := db.GetSession(context.Background(), hashToken(a)); err != nil || ss.Ext != "1001" {
		t.Errorf("hashed token not in the store: %+v, %v", ss, err)
	}
}

// TestSessionsSurviveReopen: a second Sessions on the same database (the
// server after a restart) knows the tokens of the first.
func TestSessionsSurviveReopen(t *testing.T) {
	clk := newFakeClock()
	path := filepath.Join(t.TempDir(), store.FileName)
	db, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	tok := mustCreate(t, NewSessions(db, time.Hour, clk.Now), "1002")
	_ = db.Close()
	db, err = store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	clk.Advance(10 * time.Minute)
	if ext, err := NewSessions(db, time.Hour, clk.Now).Get(tok); err != nil || ext != "1002" {
		t.Fatalf("after reopening: Get = %q, %v", ext, err)
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
		{"frequent use within a minute still slides", []time.Duration{30 * time.Second, 30 * time.Second, 59*time.Minute + 30*time.Second}, []bool{true, true, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newFakeClock()
			s, _ := newTestSessions(t, time.Hour, clk)
			tok := mustCreate(t, s, "1002")
			for i, d := range tt.steps {
				clk.Advance(d)
				if _, err := s.Get(tok); (err == nil) != tt.want[i] {
					t.Fatalf("step %d (+%v): err = %v, want alive %v", i, d, err, tt.want[i])
				}
			}
		})
	}
}

func TestSessionsExpiredAreRemoved(t *testing.T) {
	clk := newFakeClock()
	s, db := newTestSessions(t, time.Minute, clk)
	old := mustCreate(t, s, "1001")
	clk.Advance(2 * time.Minute)
	if _, err := s.Get(old); !errors.Is(err, ErrNoSession) {
		t.Fatal("expired session still valid")
	}
	if _, err := db.GetSession(context.Background(), hashToken(old)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("expired session not removed from the store: %v", err)
	}
	// Sessions never looked up again are swept by a later Create.
	for range 20 {
		mustCreate(t, s, "1002")
	}
	clk.Advance(2 * time.Hour)
	mustCreate(t, s, "1003")
	if n, err := db.DeleteExpiredSessions(context.Background(), clk.Now()); err != nil || n != 0 {
		t.Errorf("%d expired sessions left after the sweep (%v)", n, err)
	}
	if n, _ := s.Len(); n != 1 {
		t.Errorf("Len = %d, want 1", n)
	}
}

func TestSessionsDelete(t *testing.T) {
	clk := newFakeClock()
	s, _ := newTestSessions(t, time.Hour, clk)
	a1, a2, b := mustCreate(t, s, "1001"), mustCreate(t, s, "1001"), mustCreate(t, s, "1002")
	if err := s.Delete(a1); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete("unknown"); err != nil {
		t.Errorf("deleting an unknown token: %v", err)
	}
	if _, err := s.Get(a1); !errors.Is(err, ErrNoSession) {
		t.Error("deleted session still valid")
	}
	if n, err := s.DeleteExt("1001"); err != nil || n != 1 {
		t.Errorf("DeleteExt = %d, %v; want 1", n, err)
	}
	if _, err := s.Get(a2); !errors.Is(err, ErrNoSession) {
		t.Error("session of deleted extension still valid")
	}
	if ext, err := s.Get(b); err != nil || ext != "1002" {
		t.Error("other extension's session was deleted")
	}
	if n, _ := s.DeleteExt("1001"); n != 0 {
		t.Errorf("second DeleteExt = %d", n)
	}
	if n, _ := s.Len(); n != 1 {
		t.Errorf("Len = %d, want 1", n)
	}
}

// TestSessionsStoreFailure: a closed store is an error, not a logout.
func TestSessionsStoreFailure(t *testing.T) {
	clk := newFakeClock()
	s, db := newTestSessions(t, time.Hour, clk)
	tok := mustCreate(t, s, "1001")
	_ = db.Close()
	if _, err := s.Get(tok); !errors.Is(err, ErrSessionStore) {
		t.Errorf("Get on a closed store = %v, want ErrSessionStore", err)
	}
	if _, err := s.Create("1001"); !errors.Is(err, ErrSessionStore) {
		t.Errorf("Create on a closed store = %v, want ErrSessionStore", err)
	}
}

func TestSessionsConcurrent(t *testing.T) {
	clk := newFakeClock()
	s, _ := newTestSessions(t, time.Hour, clk)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			ext := fmt.Sprint(1000 + i%3)
			for j := range 40 {
				tok, err := s.Create(ext)
				if err != nil {
					t.Error(err)
					return
				}
				if got, err := s.Get(tok); err != nil || got != ext {
					t.Errorf("Get = %q, %v", got, err)
				}
				clk.Advance(time.Millisecond)
				if j%2 == 0 {
					_ = s.Delete(tok)
				}
			}
		})
	}
	wg.Wait()
	for i := range 3 {
		if n, _ := s.DeleteExt(fmt.Sprint(1000 + i)); n == 0 {
			t.Errorf("DeleteExt(%d) removed nothing", 1000+i)
		}
	}
	if n, _ := s.Len(); n != 0 {
		t.Errorf("Len = %d after all deleted", n)
	}
}

func TestSessionsTrimEndsLeastRecentlyUsed(t *testing.T) {
	clk := newFakeClock()
	s, _ := newTestSessions(t, time.Hour, clk)
	var tokens []string
	for range 4 {
		clk.Advance(5 * time.Minute)
		tokens = append(tokens, mustCreate(t, s, "1001"))
	}
	other := mustCreate(t, s, "1002")
	clk.Advance(5 * time.Minute)
	if _, err := s.Get(tokens[0]); err != nil { // used again: now the most recent
		t.Fatal(err)
	}
	ended, n, err := s.Trim("1001", 2)
	if err != nil || n != 2 {
		t.Fatalf("Trim ended %d, %v; want 2", n, err)
	}
	for i, gone := range []bool{false, true, true, false} {
		if ended(tokens[i]) != gone {
			t.Errorf("session %d reported ended %v, want %v", i, ended(tokens[i]), gone)
		}
		if _, err := s.Get(tokens[i]); (err != nil) != gone {
			t.Errorf("session %d: Get error %v, want ended %v", i, err, gone)
		}
	}
	if _, err := s.Get(other); err != nil || ended(other) {
		t.Errorf("another extension's session was ended: %v", err)
	}
	if _, n, err := s.Trim("1001", 2); n != 0 || err != nil {
		t.Errorf("Trim at the cap ended %d, %v", n, err)
	}
}
