package auth

import (
	"crypto/rand"
	"encoding/base64"
	"slices"
	"sync"
	"time"
)

// tokenBytes is the amount of randomness in a session token.
const tokenBytes = 32

// minPruneAt is the session count below which Create never sweeps.
const minPruneAt = 64

// Sessions maps login tokens to extensions with sliding expiry: a session
// lives ttl after its last use. Expired sessions are removed lazily. Safe for
// concurrent use.
type Sessions struct {
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	byToken map[string]*session
	byExt   map[string]map[string]struct{}
	pruneAt int // sweep expired sessions when the count reaches this
}

type session struct {
	ext     string
	expires time.Time
}

// NewSessions returns an empty session table whose sessions expire ttl
// after last use, reading the time from now.
func NewSessions(ttl time.Duration, now func() time.Time) *Sessions {
	return &Sessions{
		ttl:     ttl,
		now:     now,
		byToken: make(map[string]*session),
		byExt:   make(map[string]map[string]struct{}),
		pruneAt: minPruneAt,
	}
}

// Create starts a session for ext and returns its token: 32 random bytes,
// base64url without padding (43 characters).
func (s *Sessions) Create(ext string) (token string) {
	b := make([]byte, tokenBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error (Go 1.24+)
	token = base64.RawURLEncoding.EncodeToString(b)
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.byToken) >= s.pruneAt {
		s.sweep(now)
		s.pruneAt = max(minPruneAt, 2*len(s.byToken))
	}
	s.byToken[token] = &session{ext: ext, expires: now.Add(s.ttl)}
	if s.byExt[ext] == nil {
		s.byExt[ext] = make(map[string]struct{})
	}
	s.byExt[ext][token] = struct{}{}
	return token
}

// Get returns the extension of a live session and extends its life by ttl.
// Unknown and expired tokens return ok false; expired ones are removed.
func (s *Sessions) Get(token string) (ext string, ok bool) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.byToken[token]
	if !ok {
		return "", false
	}
	if !now.Before(ss.expires) {
		s.remove(token, ss.ext)
		return "", false
	}
	ss.expires = now.Add(s.ttl)
	return ss.ext, true
}

// Delete ends the session with token, if any (logout).
func (s *Sessions) Delete(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ss, ok := s.byToken[token]; ok {
		s.remove(token, ss.ext)
	}
}

// DeleteExt ends every session of ext and returns their tokens, e.g. when
// the extension is removed or loses Xphone access on reload.
func (s *Sessions) DeleteExt(ext string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	tokens := make([]string, 0, len(s.byExt[ext]))
	for token := range s.byExt[ext] {
		delete(s.byToken, token)
		tokens = append(tokens, token)
	}
	delete(s.byExt, ext)
	return tokens
}

// Trim ends the least recently used sessions of ext beyond keep (the
// per-extension session cap) and returns their tokens.
func (s *Sessions) Trim(ext string, keep int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	over := len(s.byExt[ext]) - keep
	if over <= 0 {
		return nil
	}
	tokens := make([]string, 0, len(s.byExt[ext]))
	for token := range s.byExt[ext] {
		tokens = append(tokens, token)
	}
	slices.SortFunc(tokens, func(a, b string) int { return s.byToken[a].expires.Compare(s.byToken[b].expires) })
	for _, token := range tokens[:over] {
		s.remove(token, ext)
	}
	return tokens[:over]
}

// Len removes expired sessions and returns the number of live ones.
func (s *Sessions) Len() int {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(now)
	return len(s.byToken)
}

func (s *Sessions) sweep(now time.Time) {
	for token, ss := range s.byToken {
		if !now.Before(ss.expires) {
			s.remove(token, ss.ext)
		}
	}
}

func (s *Sessions) remove(token, ext string) {
	delete(s.byToken, token)
	delete(s.byExt[ext], token)
	if len(s.byExt[ext]) == 0 {
		delete(s.byExt, ext)
	}
}
