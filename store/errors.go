package store

import "errors"

// Sentinel errors; every error of this package wraps one of them.
var (
	// ErrNotFound: no row with that key.
	ErrNotFound = errors.New("store: not found")
	// ErrOpen: the database file cannot be opened or prepared.
	ErrOpen = errors.New("store: cannot open")
	// ErrMigrate: a migration failed, or the file is newer than this build.
	ErrMigrate = errors.New("store: migration")
	// ErrQuery: a read or write failed.
	ErrQuery = errors.New("store: query")
	// ErrUnavailable: a networked store (Redis) cannot be reached or
	// answered too late; the caller fails fast instead of waiting.
	ErrUnavailable = errors.New("store: unavailable")
)
