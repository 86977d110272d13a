package redisstore_test

import (
	"context"
	"testing"

	"xphone/cluster/clustertest"
	"xphone/store"
	"xphone/store/redisstore"
	"xphone/store/storetest"
)

// openRedis opens two stores, as two nodes, on a new redis-server (a
// machine without one fails the test, it never skips).
func openRedis(t testing.TB) (store.Store, store.Store) {
	t.Helper()
	srv := clustertest.StartRedis(t)
	return openOn(t, srv.Addr(), ""), openOn(t, srv.Addr(), "")
}

func openOn(t testing.TB, addr, prefix string) *redisstore.Store {
	t.Helper()
	s, err := redisstore.Open(context.Background(), redisstore.Options{Addrs: []string{addr}, Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestContract: the Redis store keeps the contract the SQLite one keeps.
func TestContract(t *testing.T) { storetest.Run(t, openRedis) }

func BenchmarkGetSession(b *testing.B) { storetest.BenchGetSession(b, openRedis) }

func BenchmarkAddCall(b *testing.B) { storetest.BenchAddCall(b, openRedis) }
