// Package store keeps the data that must outlive the process: today login
// sessions; call history and do-not-disturb come next. Callers see the
// small Store interface; the default implementation is SQLite in pure Go
// (modernc.org/sqlite, so the default build stays cgo-free) in one file in
// the data directory. A networked store (Redis, for a cluster) can
// implement the same interface later.
//
// The schema grows by numbered migrations (migrations.go): a new feature
// appends one, never edits an applied one. Opening a file runs the
// migrations it lacks in order, each in its own transaction, and refuses a
// file written by a newer Xphone.
package store

import (
	"context"
	"time"
)

// Session is one login session. Only a hash of the token is stored, so a
// copy of the database gives nobody a way in.
type Session struct {
	TokenHash string // hex SHA-256 of the session token
	Ext       string // the extension logged in
	Expires   time.Time
}

// Sessions is the login-session part of a Store.
type Sessions interface {
	// PutSession adds a session (or replaces the one with its hash).
	PutSession(ctx context.Context, s Session) error
	// GetSession finds a session by token hash; ErrNotFound if absent.
	// Expiry is the caller's business: an expired row is still returned.
	GetSession(ctx context.Context, tokenHash string) (Session, error)
	// TouchSession moves a session's expiry (sliding expiry).
	TouchSession(ctx context.Context, tokenHash string, expires time.Time) error
	// DeleteSession removes one session; absent is no error.
	DeleteSession(ctx context.Context, tokenHash string) error
	// DeleteSessionsOf removes every session of ext and returns how many.
	DeleteSessionsOf(ctx context.Context, ext string) (int, error)
	// TrimSessionsOf keeps the keep sessions of ext that expire last (the
	// most recently used) and removes the others, returning their hashes.
	TrimSessionsOf(ctx context.Context, ext string, keep int) ([]string, error)
	// DeleteExpiredSessions removes sessions expired at now.
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error)
	// CountSessions counts sessions not expired at now.
	CountSessions(ctx context.Context, now time.Time) (int, error)
}

// Store is every kind of durable data Xphone keeps. Implementations are
// safe for concurrent use by many goroutines (and, for SQLite, several
// processes on the same file).
type Store interface {
	Sessions
	// SchemaVersion is the number of the last migration applied.
	SchemaVersion(ctx context.Context) (int, error)
	Close() error
}
