package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func entry(ext string, dir Direction, number string, started time.Time) CallEntry {
	return CallEntry{Ext: ext, Direction: dir, Number: number, Started: started}
}

func TestCallHistoryRoundTrip(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	t0 := time.UnixMilli(1_900_000_000_000)
	in := CallEntry{Ext: "1002", Direction: Incoming, Number: "1001", Name: "Alice", Started: t0, Answered: true,
		Duration: 83 * time.Second, Video: true, ViaNumber: "1003", ViaName: "Carol"}
	id1, err := s.AddCall(ctx, in, HistoryLimits{})
	if err != nil {
		t.Fatal(err)
	}
	missed := CallEntry{Ext: "1002", Direction: Missed, Number: "+4930123", Started: t0.Add(time.Minute), Reason: "no_answer"}
	id2, err := s.AddCall(ctx, missed, HistoryLimits{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddCall(ctx, entry("1001", Outgoing, "1002", t0), HistoryLimits{}); err != nil {
		t.Fatal(err)
	}
	if id2 <= id1 {
		t.Fatalf("ids %d then %d: want growing ids", id1, id2)
	}
	got, err := s.Calls(ctx, "1002", 0)
	if err != nil {
		t.Fatal(err)
	}
	in.ID, missed.ID = id1, id2
	want := []CallEntry{missed, in}
	if len(got) != 2 {
		t.Fatalf("1002 has %d entries, want 2: %+v", len(got), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d = %+v\nwant %+v", i, got[i], want[i])
		}
	}
	if one, _ := s.Calls(ctx, "1002", 1); len(one) != 1 || one[0].ID != id2 {
		t.Errorf("Calls(limit 1) = %+v, want only the newest", one)
	}
	if n, err := s.CountMissedAfter(ctx, "1002", 0); err != nil || n != 1 {
		t.Errorf("CountMissedAfter(0) = %d, %v; want 1", n, err)
	}
	if n, _ := s.CountMissedAfter(ctx, "1002", id2); n != 0 {
		t.Errorf("CountMissedAfter(newest) = %d, want 0", n)
	}
}

func TestAddCallRefusesBadEntries(t *testing.T) {
	s, _ := openTemp(t)
	for _, e := range []CallEntry{{Direction: Missed, Number: "1"}, {Ext: "1001", Direction: "sideways", Number: "1"}} {
		if _, err := s.AddCall(context.Background(), e, HistoryLimits{}); !errors.Is(err, ErrQuery) {
			t.Errorf("AddCall(%+v) = %v, want ErrQuery", e, err)
		}
	}
}

// TestHistoryCaps: each extension keeps its newest Keep entries, and none
// older than Since, whether trimmed on add or all at once.
func TestHistoryCaps(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	t0 := time.UnixMilli(1_900_000_000_000)
	for i := range 10 {
		for _, ext := range []string{"1001", "1002"} {
			if _, err := s.AddCall(ctx, entry(ext, Outgoing, fmt.Sprint(i), t0.Add(time.Duration(i)*time.Hour)), HistoryLimits{Keep: 6}); err != nil {
				t.Fatal(err)
			}
		}
	}
	list, _ := s.Calls(ctx, "1001", 0)
	if len(list) != 6 || list[0].Number != "9" || list[5].Number != "4" {
		t.Fatalf("after adding 10 with keep 6: %d entries, newest %q, oldest %q; want 9…4", len(list), list[0].Number, list[len(list)-1].Number)
	}
	n, err := s.TrimHistory(ctx, HistoryLimits{Keep: 4, Since: t0.Add(7 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	// keep 4 leaves 9…6 per extension (5 and 4 go), the age limit then takes 6.
	if n != 6 {
		t.Errorf("TrimHistory removed %d, want 6", n)
	}
	for _, ext := range []string{"1001", "1002"} {
		list, _ := s.Calls(ctx, ext, 0)
		if len(list) != 3 || list[2].Number != "7" {
			t.Errorf("%s after trim: %+v, want 9, 8, 7", ext, list)
		}
	}
	if _, err := s.AddCall(ctx, entry("1001", Missed, "x", t0.Add(20*time.Hour)), HistoryLimits{Since: t0.Add(9 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.Calls(ctx, "1001", 0); len(list) != 2 {
		t.Errorf("adding with an age limit left %d entries, want 2 (the new one and 9)", len(list))
	}
}

func TestSettings(t *testing.T) {
	s, path := openTemp(t)
	ctx := context.Background()
	if _, err := s.Setting(ctx, "1001", "dnd"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unset setting: %v, want ErrNotFound", err)
	}
	for _, kv := range [][3]string{{"1001", "dnd", "1"}, {"1002", "dnd", "1"}, {"1002", "dnd", "0"}, {"1001", "seen", "42"}} {
		if err := s.PutSetting(ctx, kv[0], kv[1], kv[2]); err != nil {
			t.Fatal(err)
		}
	}
	if v, err := s.Setting(ctx, "1002", "dnd"); err != nil || v != "0" {
		t.Errorf("1002 dnd = %q, %v; want the last value 0", v, err)
	}
	all, err := s.SettingEverywhere(ctx, "dnd")
	if err != nil || len(all) != 2 || all["1001"] != "1" || all["1002"] != "0" {
		t.Errorf("SettingEverywhere(dnd) = %v, %v", all, err)
	}
	if err := s.DeleteSetting(ctx, "1001", "dnd"); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	again, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if _, err := again.Setting(ctx, "1001", "dnd"); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted setting after reopen: %v", err)
	}
	if v, _ := again.Setting(ctx, "1001", "seen"); v != "42" {
		t.Errorf("seen after reopen = %q, want 42", v)
	}
}

// TestMigratesASessionsOnlyFile: a file written by the build before call
// history (schema 1, with a session in it) gains the new tables and keeps
// its session.
func TestMigratesASessionsOnlyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(migrations[0].sql); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO schema_migrations VALUES (1, 'login sessions', 0);
		INSERT INTO sessions VALUES ('h', '1001', 9999999999999)`); err != nil {
		t.Fatal(err)
	}
	_ = db.Close()
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, _ := s.SchemaVersion(context.Background()); v != latestVersion() {
		t.Fatalf("schema %d after migrating, want %d", v, latestVersion())
	}
	if got, err := s.GetSession(context.Background(), "h"); err != nil || got.Ext != "1001" {
		t.Fatalf("the old session: %+v, %v", got, err)
	}
	if _, err := s.AddCall(context.Background(), entry("1001", Missed, "1002", time.Now()), HistoryLimits{}); err != nil {
		t.Fatalf("history after migrating: %v", err)
	}
}

// TestConcurrentHistoryWriters: goroutines on two handles of one file (as
// two processes) add history, trim it and set settings at once; nothing
// fails, every extension keeps exactly its cap, ids never repeat.
func TestConcurrentHistoryWriters(t *testing.T) {
	s, path := openTemp(t)
	other, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ctx := context.Background()
	const writers, each, keep = 6, 40, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers*each*2)
	for w := range writers {
		db := Store(s)
		if w%2 == 1 {
			db = other
		}
		ext := fmt.Sprint(1000 + w%3) // two writers per extension
		wg.Go(func() {
			for i := range each {
				if _, err := db.AddCall(ctx, entry(ext, Missed, fmt.Sprint(w, "-", i), time.Now()), HistoryLimits{Keep: keep}); err != nil {
					errs <- err
				}
				if err := db.PutSetting(ctx, ext, "seen", fmt.Sprint(i)); err != nil {
					errs <- err
				}
				if i%10 == 0 {
					if _, err := db.TrimHistory(ctx, HistoryLimits{Keep: keep}); err != nil {
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
	seen := map[int64]bool{}
	for e := range 3 {
		list, err := s.Calls(ctx, fmt.Sprint(1000+e), 0)
		if err != nil || len(list) != keep {
			t.Fatalf("extension %d: %d entries (%v), want %d", 1000+e, len(list), err, keep)
		}
		for _, c := range list {
			if seen[c.ID] {
				t.Fatalf("id %d twice", c.ID)
			}
			seen[c.ID] = true
		}
	}
}
