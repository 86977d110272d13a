package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver
)

// FileName is the database file inside the data directory.
const FileName = "xphone.db"

// busyTimeout is how long a writer waits for another (goroutine or
// process) to finish before giving up with SQLITE_BUSY.
const busyTimeout = 10 * time.Second

// maxConns bounds the connection pool: WAL lets readers run beside the one
// writer, and more connections than that only wait.
const maxConns = 4

// SQLite is the Store in one SQLite file, in WAL mode so readers never wait
// for the writer.
type SQLite struct {
	db *sql.DB
}

var _ Store = (*SQLite)(nil)

// Open opens (creating it if needed, mode 0600) the database at path and
// brings its schema up to date.
func Open(ctx context.Context, path string) (*SQLite, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrOpen, path, err)
	}
	if err := createPrivate(path); err != nil {
		return nil, err
	}
	dsn := fmt.Sprintf("%s?_pragma=busy_timeout(%d)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"+
		"&_pragma=foreign_keys(1)&_txlock=immediate", path, busyTimeout.Milliseconds())
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrOpen, path, err)
	}
	if err := retryBusy(ctx, func() error { return db.PingContext(ctx) }); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("%w: %s: %w", ErrOpen, path, err)
	}
	// SQLite has one writer at a time and keeps the descriptors of closed
	// connections open while others hold locks on the file, so an unbounded
	// pool only buys busy waits and descriptors under a burst of logins.
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	s := &SQLite{db: db}
	if err := s.migrate(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

// OpenDir opens the store's file in the data directory dir.
func OpenDir(ctx context.Context, dir string) (*SQLite, error) {
	return Open(ctx, filepath.Join(dir, FileName))
}

// createPrivate makes sure a new database file is readable by its owner
// only: it holds session hashes.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrOpen, path, err)
	}
	return f.Close()
}

// Close closes the database.
func (s *SQLite) Close() error { return s.db.Close() }

// SchemaVersion is the last migration applied.
func (s *SQLite) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("%w: schema version: %v", ErrQuery, err)
	}
	return v, nil
}

// migrate applies the migrations the file lacks, each in one immediate
// transaction that re-reads the version, so two processes opening the same
// new file never apply a step twice.
func (s *SQLite) migrate(ctx context.Context) error {
	err := retryBusy(ctx, func() error {
		_, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`)
		return err
	})
	if err != nil {
		return fmt.Errorf("%w: %v", ErrMigrate, err)
	}
	for _, m := range migrations {
		if err := retryBusy(ctx, func() error { return s.apply(ctx, m) }); err != nil {
			return err
		}
	}
	return nil
}

func (s *SQLite) apply(ctx context.Context, m migration) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%w: %d %s: %w", ErrMigrate, m.version, m.name, err)
	}
	defer func() { _ = tx.Rollback() }()
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("%w: %w", ErrMigrate, err)
	}
	if current > latestVersion() {
		return fmt.Errorf("%w: the database has schema version %d, newer than this Xphone's %d: use a newer build",
			ErrMigrate, current, latestVersion())
	}
	if current >= m.version {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("%w: %d %s: %w", ErrMigrate, m.version, m.name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.version, m.name, time.Now().UnixMilli()); err != nil {
		return fmt.Errorf("%w: %d %s: %w", ErrMigrate, m.version, m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%w: %d %s: %w", ErrMigrate, m.version, m.name, err)
	}
	return nil
}

// queryErr wraps a database error; sql.ErrNoRows becomes ErrNotFound.
func queryErr(what string, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: %s", ErrNotFound, what)
	}
	return fmt.Errorf("%w: %s: %v", ErrQuery, what, err)
}
