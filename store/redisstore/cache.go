package redisstore

import (
	"sync"

	"xphone/store"
)

// sessionCacheSize bounds the sessions remembered for an outage; past it
// the memory starts over (the users of a node are far fewer).
const sessionCacheSize = 100_000

// sessionCache remembers the sessions this node has read or written, so
// that its logged-in users keep working while Redis is unreachable.
type sessionCache struct {
	mu  sync.Mutex
	max int
	m   map[string]store.Session
}

func newSessionCache(n int) *sessionCache {
	return &sessionCache{max: n, m: map[string]store.Session{}}
}

func (c *sessionCache) put(ss store.Session) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[ss.TokenHash]; !ok && len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[ss.TokenHash] = ss
}

func (c *sessionCache) get(hash string) (store.Session, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ss, ok := c.m[hash]
	return ss, ok
}

func (c *sessionCache) drop(hash string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, hash)
}
