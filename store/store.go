// Package store keeps the data that must outlive the process: login
// sessions, call history and per-extension settings (do-not-disturb, which
// missed calls were seen). Callers see the small Store interface; the default implementation is SQLite in pure Go
// (modernc.org/sqlite, so the default build stays cgo-free) in one file in
// the data directory. A cluster keeps them in Redis instead
// (store/redisstore); both keep the contract of store/storetest.
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

// Direction is how a call-history entry looks from its extension's side.
type Direction string

// Directions of call-history entries.
const (
	Incoming Direction = "in"     // rang here and was answered (or declined)
	Outgoing Direction = "out"    // placed from here
	Missed   Direction = "missed" // rang (or would have rung) here and nobody answered
)

// Valid reports whether d is one of the three directions.
func (d Direction) Valid() bool { return d == Incoming || d == Outgoing || d == Missed }

// CallEntry is one line of an extension's call history.
type CallEntry struct {
	ID        int64  // assigned by AddCall; grows with every entry
	Ext       string // whose history
	Direction Direction
	Number    string // the other party, or the room
	Name      string // its CallerID or room name, may be empty
	Started   time.Time
	Answered  bool
	Duration  time.Duration // of an answered call
	Reason    string        // a reason code (sfu.Reason) for an unanswered call
	Video     bool
	// ViaNumber and ViaName: who transferred this call here (blind
	// transfer), empty otherwise.
	ViaNumber, ViaName string
}

// HistoryLimits cap an extension's history: at most Keep entries (0: no
// cap), none started before Since (zero: no age limit).
type HistoryLimits struct {
	Keep  int
	Since time.Time
}

// History is the call-history part of a Store.
type History interface {
	// AddCall appends e to e.Ext's history and trims that history to
	// limits in the same transaction; it returns the new entry's ID.
	AddCall(ctx context.Context, e CallEntry, limits HistoryLimits) (int64, error)
	// Calls lists ext's history, newest first, at most limit entries
	// (limit <= 0: all).
	Calls(ctx context.Context, ext string, limit int) ([]CallEntry, error)
	// CountMissedAfter counts ext's missed calls with an ID above afterID.
	CountMissedAfter(ctx context.Context, ext string, afterID int64) (int, error)
	// TrimHistory applies limits to every extension's history (a lowered
	// cap after a reload, the age limit passing) and returns how many
	// entries it removed.
	TrimHistory(ctx context.Context, limits HistoryLimits) (int, error)
}

// Settings is the per-extension settings part of a Store: small values
// by key (do-not-disturb, the last history entry the user has seen).
type Settings interface {
	// Setting returns ext's value for key; ErrNotFound when unset.
	Setting(ctx context.Context, ext, key string) (string, error)
	// PutSetting sets ext's value for key.
	PutSetting(ctx context.Context, ext, key, value string) error
	// DeleteSetting unsets ext's key; absent is no error.
	DeleteSetting(ctx context.Context, ext, key string) error
	// SettingEverywhere maps every extension that has key set to its value.
	SettingEverywhere(ctx context.Context, key string) (map[string]string, error)
}

// Store is every kind of durable data Xphone keeps. Implementations are
// safe for concurrent use by many goroutines (and, for SQLite, several
// processes on the same file).
type Store interface {
	Sessions
	History
	Settings
	// SchemaVersion is the number of the last migration applied.
	SchemaVersion(ctx context.Context) (int, error)
	Close() error
}
