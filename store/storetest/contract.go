// Package storetest is the contract every store.Store keeps: the same
// tests run against SQLite (store) and Redis (store/redisstore), so the
// two cannot drift apart.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"xphone/store"
)

// Opener gives two handles onto one fresh, empty store, as two
// processes on one SQLite file or two nodes on one Redis see it. The
// handles are closed when the test ends.
type Opener func(t testing.TB) (a, b store.Store)

// Run runs the contract against the stores open makes.
func Run(t *testing.T, open Opener) {
	t.Run("SessionsRoundTrip", func(t *testing.T) { testSessionsRoundTrip(t, open) })
	t.Run("TrimSessionsKeepsTheMostRecentlyUsed", func(t *testing.T) { testTrimSessionsKeepsTheMostRecentlyUsed(t, open) })
	t.Run("ConcurrentWriters", func(t *testing.T) { testConcurrentWriters(t, open) })
	t.Run("CallHistoryRoundTrip", func(t *testing.T) { testCallHistoryRoundTrip(t, open) })
	t.Run("AddCallRefusesBadEntries", func(t *testing.T) { testAddCallRefusesBadEntries(t, open) })
	t.Run("HistoryCaps", func(t *testing.T) { testHistoryCaps(t, open) })
	t.Run("Settings", func(t *testing.T) { testSettings(t, open) })
	t.Run("ConcurrentHistoryWriters", func(t *testing.T) { testConcurrentHistoryWriters(t, open) })
}

func entry(ext string, dir store.Direction, number string, started time.Time) store.CallEntry {
	return store.CallEntry{Ext: ext, Direction: dir, Number: number, Started: started}
}

func testSessionsRoundTrip(t *testing.T, open Opener) {
	s, _ := open(t)
	ctx := context.Background()
	now := time.UnixMilli(1_900_000_000_000)
	for i, ext := range []string{"1001", "1001", "1002"} {
		if err := s.PutSession(ctx, store.Session{TokenHash: fmt.Sprint("h", i), Ext: ext, Expires: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.GetSession(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetSession(unknown) = %v, want store.ErrNotFound", err)
	}
	if err := s.TouchSession(ctx, "h0", now.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetSession(ctx, "h0"); !got.Expires.Equal(now.Add(3 * time.Hour)) {
		t.Errorf("touched expiry %v", got.Expires)
	}
	if err := s.TouchSession(ctx, "nope", now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("TouchSession(unknown) = %v, want store.ErrNotFound", err)
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

// testTrimSessionsKeepsTheMostRecentlyUsed: the sessions of one extension
// beyond keep go, those expiring first (least recently used) first.
func testTrimSessionsKeepsTheMostRecentlyUsed(t *testing.T, open Opener) {
	s, _ := open(t)
	ctx := context.Background()
	now := time.UnixMilli(1_900_000_000_000)
	for i, at := range []time.Duration{3, 1, 4, 2} { // hours to expiry
		if err := s.PutSession(ctx, store.Session{TokenHash: fmt.Sprint("h", i), Ext: "1001", Expires: now.Add(at * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutSession(ctx, store.Session{TokenHash: "other", Ext: "1002", Expires: now}); err != nil {
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

// testConcurrentWriters: goroutines on one handle and on a second handle
// of the same file (as a second process would) write at once; none fails
// and every write is there.
func testConcurrentWriters(t *testing.T, open Opener) {
	s, other := open(t)
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	const writers, each = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		db := s
		if w%2 == 1 {
			db = other
		}
		wg.Go(func() {
			for i := range each {
				h := fmt.Sprintf("w%d-%d", w, i)
				if err := db.PutSession(ctx, store.Session{TokenHash: h, Ext: fmt.Sprint(1000 + w), Expires: exp}); err != nil {
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

func testCallHistoryRoundTrip(t *testing.T, open Opener) {
	s, _ := open(t)
	ctx := context.Background()
	t0 := time.UnixMilli(1_900_000_000_000)
	in := store.CallEntry{Ext: "1002", Direction: store.Incoming, Number: "1001", Name: "Alice", Started: t0, Answered: true,
		Duration: 83 * time.Second, Video: true, ViaNumber: "1003", ViaName: "Carol"}
	id1, err := s.AddCall(ctx, in, store.HistoryLimits{})
	if err != nil {
		t.Fatal(err)
	}
	missed := store.CallEntry{Ext: "1002", Direction: store.Missed, Number: "+4930123", Started: t0.Add(time.Minute), Reason: "no_answer"}
	id2, err := s.AddCall(ctx, missed, store.HistoryLimits{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddCall(ctx, entry("1001", store.Outgoing, "1002", t0), store.HistoryLimits{}); err != nil {
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
	want := []store.CallEntry{missed, in}
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

func testAddCallRefusesBadEntries(t *testing.T, open Opener) {
	s, _ := open(t)
	for _, e := range []store.CallEntry{{Direction: store.Missed, Number: "1"}, {Ext: "1001", Direction: "sideways", Number: "1"}} {
		if _, err := s.AddCall(context.Background(), e, store.HistoryLimits{}); !errors.Is(err, store.ErrQuery) {
			t.Errorf("AddCall(%+v) = %v, want store.ErrQuery", e, err)
		}
	}
}

// testHistoryCaps: each extension keeps its newest Keep entries, and none
// older than Since, whether trimmed on add or all at once.
func testHistoryCaps(t *testing.T, open Opener) {
	s, _ := open(t)
	ctx := context.Background()
	t0 := time.UnixMilli(1_900_000_000_000)
	for i := range 10 {
		for _, ext := range []string{"1001", "1002"} {
			if _, err := s.AddCall(ctx, entry(ext, store.Outgoing, fmt.Sprint(i), t0.Add(time.Duration(i)*time.Hour)), store.HistoryLimits{Keep: 6}); err != nil {
				t.Fatal(err)
			}
		}
	}
	list, _ := s.Calls(ctx, "1001", 0)
	if len(list) != 6 || list[0].Number != "9" || list[5].Number != "4" {
		t.Fatalf("after adding 10 with keep 6: %d entries, newest %q, oldest %q; want 9…4", len(list), list[0].Number, list[len(list)-1].Number)
	}
	n, err := s.TrimHistory(ctx, store.HistoryLimits{Keep: 4, Since: t0.Add(7 * time.Hour)})
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
	if _, err := s.AddCall(ctx, entry("1001", store.Missed, "x", t0.Add(20*time.Hour)), store.HistoryLimits{Since: t0.Add(9 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.Calls(ctx, "1001", 0); len(list) != 2 {
		t.Errorf("adding with an age limit left %d entries, want 2 (the new one and 9)", len(list))
	}
}

func testSettings(t *testing.T, open Opener) {
	s, other := open(t)
	ctx := context.Background()
	if _, err := s.Setting(ctx, "1001", "dnd"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unset setting: %v, want store.ErrNotFound", err)
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
	again := other // another node, or process, reading what s wrote
	if _, err := again.Setting(ctx, "1001", "dnd"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted setting after reopen: %v", err)
	}
	if v, _ := again.Setting(ctx, "1001", "seen"); v != "42" {
		t.Errorf("seen after reopen = %q, want 42", v)
	}
}

// testConcurrentHistoryWriters: goroutines on two handles of one file (as
// two processes) add history, trim it and set settings at once; nothing
// fails, every extension keeps exactly its cap, ids never repeat.
func testConcurrentHistoryWriters(t *testing.T, open Opener) {
	s, other := open(t)
	ctx := context.Background()
	const writers, each, keep = 6, 40, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers*each*2)
	for w := range writers {
		db := s
		if w%2 == 1 {
			db = other
		}
		ext := fmt.Sprint(1000 + w%3) // two writers per extension
		wg.Go(func() {
			for i := range each {
				if _, err := db.AddCall(ctx, entry(ext, store.Missed, fmt.Sprint(w, "-", i), time.Now()), store.HistoryLimits{Keep: keep}); err != nil {
					errs <- err
				}
				if err := db.PutSetting(ctx, ext, "seen", fmt.Sprint(i)); err != nil {
					errs <- err
				}
				if i%10 == 0 {
					if _, err := db.TrimHistory(ctx, store.HistoryLimits{Keep: keep}); err != nil {
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
