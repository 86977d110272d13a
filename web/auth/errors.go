// Package auth authenticates browser softphone users: extension passwords
// (configured, hashed or generated and persisted in the data directory),
// brute-force throttling per remote IP and per extension, and login
// sessions with sliding expiry, kept in the durable store. Time is always
// injected so tests never sleep.
package auth

import "errors"

// Sentinel errors.
var (
	// ErrBadCredentials is returned by Store.Check for an unknown extension
	// and a wrong password alike.
	ErrBadCredentials = errors.New("auth: wrong extension or password")
	// ErrNoAccess is returned by Store.Check for the right password of an
	// extension that may not use Xphone: only someone who knows the
	// password learns that the extension exists.
	ErrNoAccess = errors.New("auth: the extension may not use Xphone")
	// ErrPasswordFile means the generated-passwords file could not be read
	// or written.
	ErrPasswordFile = errors.New("auth: password file")
	// ErrBadHash means a configured password_hash is not a usable bcrypt hash.
	ErrBadHash = errors.New("auth: bad password hash")
	// ErrBadPassword means a password cannot be hashed (empty or longer than
	// 72 bytes).
	ErrBadPassword = errors.New("auth: unusable password")
	// ErrNoSession: the session token is unknown, expired or logged out.
	ErrNoSession = errors.New("auth: no such session")
	// ErrSessionStore: the durable store of sessions failed.
	ErrSessionStore = errors.New("auth: session store")
)
