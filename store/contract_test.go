package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"xphone/store"
	"xphone/store/storetest"
)

// openSQLite opens two handles onto one new file, as two processes of a
// single-machine deployment would.
func openSQLite(t testing.TB) (store.Store, store.Store) {
	t.Helper()
	path := filepath.Join(t.TempDir(), store.FileName)
	a, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	b, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return a, b
}

// TestContract: the SQLite store keeps the contract the Redis one keeps.
func TestContract(t *testing.T) { storetest.Run(t, openSQLite) }

func BenchmarkGetSession(b *testing.B) { storetest.BenchGetSession(b, openSQLite) }

func BenchmarkAddCall(b *testing.B) { storetest.BenchAddCall(b, openSQLite) }
