package web

import (
	"sync"
	"time"
)

// secLogEvery is how often a repeated security event from one source is
// logged; the lines in between are counted and reported on the next one.
const secLogEvery = time.Minute

// maxSecLogKeys bounds the sources remembered; beyond it the table is
// swept, and cleared if sweeping frees nothing.
const maxSecLogKeys = 10_000

// logLimiter lets one line per key through per interval, so a client that
// keeps hammering after its lock-out cannot fill the disk with log lines.
// The first event of a source is always logged (fail2ban sees it).
type logLimiter struct {
	now   func() time.Time
	every time.Duration

	mu   sync.Mutex
	keys map[string]*limited
}

type limited struct {
	next       time.Time // when the next line may go out
	suppressed int       // events since the last line
}

func newLogLimiter(now func() time.Time, every time.Duration) *logLimiter {
	return &logLimiter{now: now, every: every, keys: map[string]*limited{}}
}

// allow reports whether an event for key is logged now and, if so, how
// many events of that key were not logged since its last line.
func (l *logLimiter) allow(key string) (ok bool, suppressed int) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.keys[key]
	if e == nil {
		l.makeRoom(now)
		l.keys[key] = &limited{next: now.Add(l.every)}
		return true, 0
	}
	if now.Before(e.next) {
		e.suppressed++
		return false, 0
	}
	suppressed, e.suppressed, e.next = e.suppressed, 0, now.Add(l.every)
	return true, suppressed
}

func (l *logLimiter) makeRoom(now time.Time) {
	if len(l.keys) < maxSecLogKeys {
		return
	}
	for k, e := range l.keys {
		if !now.Before(e.next) {
			delete(l.keys, k)
		}
	}
	if len(l.keys) >= maxSecLogKeys {
		clear(l.keys)
	}
}
