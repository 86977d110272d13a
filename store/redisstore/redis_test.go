package redisstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"xphone/cluster/clustertest"
	"xphone/store"
	"xphone/store/redisstore"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestRefusesANewerLayout: a Redis written by a newer build is refused,
// as a newer SQLite file is, instead of being half understood.
func TestRefusesANewerLayout(t *testing.T) {
	srv := clustertest.StartRedis(t)
	s := openOn(t, srv.Addr(), "")
	if v, err := s.SchemaVersion(context.Background()); err != nil || v != redisstore.SchemaVersion {
		t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, redisstore.SchemaVersion)
	}
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rdb.Close()
	if err := rdb.Set(context.Background(), redisstore.DefaultPrefix+"schema", redisstore.SchemaVersion+1, 0).Err(); err != nil {
		t.Fatal(err)
	}
	_, err := redisstore.Open(context.Background(), redisstore.Options{Addrs: []string{srv.Addr()}})
	if !errors.Is(err, store.ErrMigrate) {
		t.Fatalf("Open of a newer layout: %v, want ErrMigrate", err)
	}
}

// TestPrefixesSeparateDeployments: two deployments sharing one Redis
// under different prefixes see none of each other's sessions or settings.
func TestPrefixesSeparateDeployments(t *testing.T) {
	srv := clustertest.StartRedis(t)
	a, b := openOn(t, srv.Addr(), "siteA:"), openOn(t, srv.Addr(), "siteB:")
	ctx := context.Background()
	if err := a.PutSession(ctx, store.Session{TokenHash: "h", Ext: "1001", Expires: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := a.PutSetting(ctx, "1001", "dnd", "1"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.GetSession(ctx, "h"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("site B sees site A's session: %v", err)
	}
	if all, _ := b.SettingEverywhere(ctx, "dnd"); len(all) != 0 {
		t.Errorf("site B sees site A's DND: %v", all)
	}
	if _, err := redisstore.Open(ctx, redisstore.Options{Addrs: []string{srv.Addr()}, Prefix: "{x}:"}); !errors.Is(err, store.ErrOpen) {
		t.Errorf("a prefix with a hash tag: %v, want ErrOpen", err)
	}
}

// TestOutage: with Redis gone, a session this node knows still works, a
// new login fails fast with ErrUnavailable, and Redis back heals it.
func TestOutage(t *testing.T) {
	srv := clustertest.StartRedis(t)
	s, err := redisstore.Open(context.Background(), redisstore.Options{Addrs: []string{srv.Addr()}, Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	known := store.Session{TokenHash: "known", Ext: "1001", Expires: time.Now().Add(time.Hour)}
	if err := s.PutSession(ctx, known); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	start := time.Now()
	if got, err := s.GetSession(ctx, "known"); err != nil || got.Ext != "1001" {
		t.Errorf("known session during the outage: %+v, %v; want it served from memory", got, err)
	}
	if _, err := s.GetSession(ctx, "unknown"); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("unknown session during the outage: %v, want ErrUnavailable", err)
	}
	err = s.PutSession(ctx, store.Session{TokenHash: "new", Ext: "1002", Expires: time.Now().Add(time.Hour)})
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("new login during the outage: %v, want ErrUnavailable", err)
	}
	if _, err := s.AddCall(ctx, store.CallEntry{Ext: "1001", Direction: store.Missed, Number: "1"}, store.HistoryLimits{}); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("history during the outage: %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the outage calls took %v: they must fail fast", d)
	}
	srv.Start()
	if err := s.PutSession(ctx, store.Session{TokenHash: "new", Ext: "1002", Expires: time.Now().Add(time.Hour)}); err != nil {
		t.Errorf("login after Redis came back: %v", err)
	}
}
