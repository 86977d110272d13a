package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"xphone/store"
)

// tokenBytes is the amount of randomness in a session token.
const tokenBytes = 32

// sweepEvery is how often Create removes expired sessions from the store.
const sweepEvery = time.Hour

// storeTimeout bounds one store operation of a session lookup.
const storeTimeout = 5 * time.Second

// Sessions maps login tokens to extensions with sliding expiry: a session
// lives ttl after its last use. Sessions are kept in the durable store
// (only the SHA-256 of each token), so they survive a restart. Safe for
// concurrent use.
type Sessions struct {
	ttl time.Duration
	now func() time.Time
	db  store.Sessions

	mu        sync.Mutex
	lastSweep time.Time
}

// NewSessions returns sessions kept in db that expire ttl after last use,
// reading the time from now.
func NewSessions(db store.Sessions, ttl time.Duration, now func() time.Time) *Sessions {
	return &Sessions{db: db, ttl: ttl, now: now}
}

// hashToken is what the store keeps instead of the token. Tokens carry 256
// random bits, so a fast hash is enough: there is nothing to guess.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Create starts a session for ext and returns its token: 32 random bytes,
// base64url without padding (43 characters).
func (s *Sessions) Create(ext string) (string, error) {
	b := make([]byte, tokenBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error (Go 1.24+)
	token := base64.RawURLEncoding.EncodeToString(b)
	now := s.now()
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	s.sweep(ctx, now)
	if err := s.db.PutSession(ctx, store.Session{TokenHash: hashToken(token), Ext: ext, Expires: now.Add(s.ttl)}); err != nil {
		return "", fmt.Errorf("%w: %w", ErrSessionStore, err)
	}
	return token, nil
}

// sweep removes expired sessions, at most once per sweepEvery.
func (s *Sessions) sweep(ctx context.Context, now time.Time) {
	s.mu.Lock()
	due := now.Sub(s.lastSweep) >= sweepEvery
	if due {
		s.lastSweep = now
	}
	s.mu.Unlock()
	if due {
		_, _ = s.db.DeleteExpiredSessions(ctx, now) // best effort: Get checks expiry anyway
	}
}

// touchStep is how far expiry must have slid before Get writes it back,
// so a busy session is not a write per request.
func (s *Sessions) touchStep() time.Duration { return min(time.Minute, s.ttl/60) }

// Get returns the extension of a live session and extends its life by ttl.
// Unknown and expired tokens give ErrNoSession (expired ones are removed);
// a failing store gives ErrSessionStore.
func (s *Sessions) Get(token string) (string, error) {
	if token == "" {
		return "", ErrNoSession
	}
	now := s.now()
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	h := hashToken(token)
	ss, err := s.db.GetSession(ctx, h)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "", ErrNoSession
	case err != nil:
		return "", fmt.Errorf("%w: %w", ErrSessionStore, err)
	case !now.Before(ss.Expires):
		_ = s.db.DeleteSession(ctx, h)
		return "", ErrNoSession
	}
	if next := now.Add(s.ttl); next.Sub(ss.Expires) >= s.touchStep() {
		if err := s.db.TouchSession(ctx, h, next); errors.Is(err, store.ErrNotFound) {
			return "", ErrNoSession // logged out meanwhile
		}
	}
	return ss.Ext, nil
}

// Delete ends the session with token, if any (logout).
func (s *Sessions) Delete(token string) error {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	if err := s.db.DeleteSession(ctx, hashToken(token)); err != nil {
		return fmt.Errorf("%w: %w", ErrSessionStore, err)
	}
	return nil
}

// DeleteExt ends every session of ext and returns how many there were,
// e.g. when the extension is removed or loses Xphone access on reload.
func (s *Sessions) DeleteExt(ext string) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	n, err := s.db.DeleteSessionsOf(ctx, ext)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrSessionStore, err)
	}
	return n, nil
}

// Len returns the number of live sessions.
func (s *Sessions) Len() (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	n, err := s.db.CountSessions(ctx, s.now())
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrSessionStore, err)
	}
	return n, nil
}

// Trim ends the least recently used sessions of ext beyond keep (the
// per-extension session cap) and reports how many it ended and which
// tokens those were.
func (s *Sessions) Trim(ext string, keep int) (ended func(token string) bool, n int, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	hashes, err := s.db.TrimSessionsOf(ctx, ext, keep)
	if err != nil {
		return func(string) bool { return false }, 0, fmt.Errorf("%w: %w", ErrSessionStore, err)
	}
	gone := make(map[string]bool, len(hashes))
	for _, h := range hashes {
		gone[h] = true
	}
	return func(token string) bool { return gone[hashToken(token)] }, len(hashes), nil
}
