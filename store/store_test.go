package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

func openTemp(t *testing.T) (*SQLite, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "data", FileName)
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, path
}

func TestOpenMigratesAnEmptyFile(t *testing.T) {
	s, path := openTemp(t)
	ctx := context.Background()
	v, err := s.SchemaVersion(ctx)
	if err != nil || v != latestVersion() {
		t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, latestVersion())
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("database file mode %o, want 600", mode)
	}
	var applied int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&applied); err != nil || applied != len(migrations) {
		t.Errorf("%d migration rows (%v), want %d", applied, err, len(migrations))
	}
}

func TestMigrationsAreNumberedInOrder(t *testing.T) {
	for i, m := range migrations {
		if m.version != i+1 || m.name == "" || m.sql == "" {
			t.Errorf("migration %d = {%d %q}: versions must count up from 1, each with a name and SQL", i, m.version, m.name)
		}
	}
}

func TestReopenKeepsSessions(t *testing.T) {
	s, path := openTemp(t)
	ctx := context.Background()
	exp := time.UnixMilli(time.Now().Add(time.Hour).UnixMilli())
	if err := s.PutSession(ctx, Session{TokenHash: "h1", Ext: "1001", Expires: exp}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	got, err := again.GetSession(ctx, "h1")
	if err != nil || got.Ext != "1001" || !got.Expires.Equal(exp) {
		t.Fatalf("after reopen: %+v, %v; want ext 1001 expiring %v", got, err, exp)
	}
}

func TestOpenRefusesANewerSchema(t *testing.T) {
	s, path := openTemp(t)
	if _, err := s.db.Exec(`INSERT INTO schema_migrations VALUES (999, 'from the future', 0)`); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	_, err := Open(context.Background(), path)
	if !errors.Is(err, ErrMigrate) {
		t.Fatalf("Open of a newer schema: %v, want ErrMigrate", err)
	}
}

func TestOpenRefusesGarbage(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	if err := os.WriteFile(path, []byte("this is not a database, just text long enough to look like a header......"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), path); err == nil {
		t.Fatal("Open accepted a file that is not SQLite")
	}
}

func TestSessionsRoundTrip(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	now := time.UnixMilli(1_900_000_000_000)
	for i, ext := range []string{"1001", "1001", "1002"} {
		if err := s.PutSession(ctx, Session{TokenHash: fmt.Sprint("h", i), Ext: ext, Expires: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.GetSession(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetSession(unknown) = %v, want ErrNotFound", err)
	}
	if err := s.TouchSession(ctx, "h0", now.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetSession(ctx, "h0"); !got.Expires.Equal(now.Add(3 * time.Hour)) {
		t.Errorf("touched expiry %v", got.Expires)
	}
	if err := s.TouchSession(ctx, "nope", now); !errors.Is(err, ErrNotFound) {
		t.Errorf("TouchSession(unknown) = %v, want ErrNotFound", err)
	}
	if n, err := s.CountSessions(ctx, now.Add(2*time.Hour)); err != nil || n != 1 {
		t.Errorf("CountSessions 2 h later = %d, %v; want 1 (only the touched one)", n, err)
	}
	if n, err := s.DeleteExpiredSessions(ctx, now.Add(2*time.Hour)); err != nil || n != 2 {
		t.Errorf("DeleteExpiredSessions = %d, %v; want 2", n, err)
	}
	if n, err := s.DeleteSessionsOf(ctx, "1001"); err != nil || n != 1 {
		t.Errorf("DeleteSessionsOf(1001) = %d, %v; want 1", n, err)
	}
	if err := s.DeleteSession(ctx, "h0"); err != nil {
		t.Errorf("deleting an absent session: %v", err)
	}
	if n, _ := s.CountSessions(ctx, now); n != 0 {
		t.Errorf("%d sessions left, want 0", n)
	}
}

// TestTrimSessionsKeepsTheMostRecentlyUsed: the sessions of one extension
// beyond keep go, those expiring first (least recently used) first.
func TestTrimSessionsKeepsTheMostRecentlyUsed(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	now := time.UnixMilli(1_900_000_000_000)
	for i, at := range []time.Duration{3, 1, 4, 2} { // hours to expiry
		if err := s.PutSession(ctx, Session{TokenHash: fmt.Sprint("h", i), Ext: "1001", Expires: now.Add(at * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutSession(ctx, Session{TokenHash: "other", Ext: "1002", Expires: now}); err != nil {
		t.Fatal(err)
	}
	gone, err := s.TrimSessionsOf(ctx, "1001", 2)
	slices.Sort(gone)
	if err != nil || !slices.Equal(gone, []string{"h1", "h3"}) {
		t.Fatalf("TrimSessionsOf(1001, 2) = %v, %v; want the two expiring first, h1 and h3", gone, err)
	}
	for _, h := range []string{"h0", "h2", "other"} {
		if _, err := s.GetSession(ctx, h); err != nil {
			t.Errorf("%s: %v, want kept", h, err)
		}
	}
	if gone, err := s.TrimSessionsOf(ctx, "1001", 2); err != nil || len(gone) != 0 {
		t.Errorf("trimming at the cap removed %v, %v", gone, err)
	}
	if gone, _ := s.TrimSessionsOf(ctx, "1001", 0); len(gone) != 2 {
		t.Errorf("keep 0 removed %v, want both", gone)
	}
}

// TestConcurrentWriters: goroutines on one handle and on a second handle
// of the same file (as a second process would) write at once; none fails
// and every write is there.
func TestConcurrentWriters(t *testing.T) {
	s, path := openTemp(t)
	other, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	const writers, each = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		db := Store(s)
		if w%2 == 1 {
			db = other
		}
		wg.Go(func() {
			for i := range each {
				h := fmt.Sprintf("w%d-%d", w, i)
				if err := db.PutSession(ctx, Session{TokenHash: h, Ext: fmt.Sprint(1000 + w), Expires: exp}); err != nil {
					errs <- err
				}
				if err := db.TouchSession(ctx, h, exp.Add(time.Minute)); err != nil {
					errs <- err
				}
				if i%5 == 0 {
					if err := db.DeleteSession(ctx, h); err != nil {
						errs <- err
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	want := writers * (each - each/5)
	if n, err := s.CountSessions(ctx, time.Now()); err != nil || n != want {
		t.Fatalf("CountSessions = %d, %v; want %d", n, err, want)
	}
}

// TestConcurrentOpenOfANewFile: two openers of the same new file apply
// each migration exactly once.
func TestConcurrentOpenOfANewFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	var wg sync.WaitGroup
	stores := make([]*SQLite, 4)
	errs := make([]error, 4)
	for i := range stores {
		wg.Go(func() { stores[i], errs[i] = Open(context.Background(), path) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("opener %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows int
	if err := db.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&rows); err != nil || rows != len(migrations) {
		t.Fatalf("%d migration rows (%v), want %d", rows, err, len(migrations))
	}
}
