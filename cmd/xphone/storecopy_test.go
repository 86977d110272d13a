package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"xphone/cluster/clustertest"
	"xphone/store"
	"xphone/store/redisstore"
)

// TestStoreToRedisCopiesOnce: a single node's file (a live session, two
// calls, DND and the seen marker) is in Redis after store-to-redis, with
// the calls' IDs kept so the unseen count stays right; new IDs follow the
// old ones; a second run is refused instead of mixing.
func TestStoreToRedisCopiesOnce(t *testing.T) {
	redis := clustertest.StartRedis(t)
	ctx := context.Background()
	dir := t.TempDir()
	src, err := store.OpenDir(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	exp := time.UnixMilli(time.Now().Add(time.Hour).UnixMilli())
	must(t, src.PutSession(ctx, store.Session{TokenHash: "live", Ext: "1001", Expires: exp}))
	must(t, src.PutSession(ctx, store.Session{TokenHash: "old", Ext: "1001", Expires: time.Now().Add(-time.Hour)}))
	seen, err := src.AddCall(ctx, store.CallEntry{Ext: "1001", Direction: store.Missed, Number: "1002", Started: time.Now()}, store.HistoryLimits{})
	must(t, err)
	last, err := src.AddCall(ctx, store.CallEntry{Ext: "1001", Direction: store.Missed, Number: "1003", Name: "Carol", Started: time.Now()}, store.HistoryLimits{})
	must(t, err)
	must(t, src.PutSetting(ctx, "1001", "history_seen", fmt.Sprint(seen)))
	must(t, src.PutSetting(ctx, "1001", "dnd", "1"))
	must(t, src.Close())

	cfg := filepath.Join(t.TempDir(), "xphone.yaml")
	yaml := fmt.Sprintf("extensions: [{number: \"1001\", xphone: true, password: secret-1001}]\ncluster: {redis: {addrs: [%q]}}\n", redis.Addr())
	must(t, os.WriteFile(cfg, []byte(yaml), 0o600))
	var out, errOut bytes.Buffer
	if code := run([]string{"store-to-redis", "-config", cfg, "-data-dir", dir}, nil, &out, &errOut); code != 0 {
		t.Fatalf("store-to-redis: %d %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "copied 1 sessions, 2 call history entries, 2 settings") {
		t.Errorf("report %q", out.String())
	}
	dst, err := redisstore.Open(ctx, redisstore.Options{Addrs: []string{redis.Addr()}})
	must(t, err)
	defer dst.Close()
	if ss, err := dst.GetSession(ctx, "live"); err != nil || ss.Ext != "1001" || !ss.Expires.Equal(exp) {
		t.Errorf("the live session in Redis: %+v, %v", ss, err)
	}
	if calls, err := dst.Calls(ctx, "1001", 0); err != nil || len(calls) != 2 || calls[0].ID != last || calls[0].Name != "Carol" {
		t.Errorf("history in Redis: %+v, %v; want 2 entries, newest id %d", calls, err, last)
	}
	if n, err := dst.CountMissedAfter(ctx, "1001", seen); err != nil || n != 1 {
		t.Errorf("unseen missed calls after the copy: %d, %v; want 1", n, err)
	}
	if v, err := dst.Setting(ctx, "1001", "dnd"); err != nil || v != "1" {
		t.Errorf("DND after the copy: %q, %v", v, err)
	}
	if id, err := dst.AddCall(ctx, store.CallEntry{Ext: "1002", Direction: store.Outgoing, Number: "1"}, store.HistoryLimits{}); err != nil || id <= last {
		t.Errorf("a new entry's id %d (%v), want above the copied %d", id, err, last)
	}
	errOut.Reset()
	if code := run([]string{"store-to-redis", "-config", cfg, "-data-dir", dir}, nil, &out, &errOut); code == 0 || !strings.Contains(errOut.String(), "already holds") {
		t.Errorf("a second copy: %d %q, want refused", code, errOut.String())
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
