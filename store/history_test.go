package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"
)

func entry(ext string, dir Direction, number string, started time.Time) CallEntry {
	return CallEntry{Ext: ext, Direction: dir, Number: number, Started: started}
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
