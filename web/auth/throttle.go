package auth

import (
	"container/list"
	"sync"
	"time"

	"xphone/configs"
)

// defaultMaxTracked caps the number of remote IPs plus extensions whose
// failures are remembered; beyond it the least recently failed is dropped.
const defaultMaxTracked = 100_000

// maxDelaySteps caps the per-attempt delay at this many seconds.
const maxDelaySteps = 5

// KnownFor is how long a successful login makes its address known to the
// extension: a known address is never refused by the extension's count,
// only by its own.
const KnownFor = 30 * 24 * time.Hour

// maxKnownPerExt bounds the known addresses remembered per extension; the
// oldest is forgotten first.
const maxKnownPerExt = 8

// Scope names the limit that refused an attempt.
type Scope string

// Scopes of a refusal.
const (
	ScopeAddress   Scope = "address"   // the remote address used up login.max_failures
	ScopeExtension Scope = "extension" // the extension used up login.extension_max_failures
)

// Throttle slows down and locks out repeated login failures. Every attempt
// is reserved (Reserve) before its password is checked and finished with
// Fail or Succeed, all under one lock, so in-flight attempts count like
// failures: however many requests run in parallel, one address gets at most
// MaxFailures password checks per failure window, and addresses that never
// logged in to an extension get at most ExtensionMaxFailures together. It
// runs no goroutines: expired entries are pruned lazily. Safe for
// concurrent use.
type Throttle struct {
	cfg        configs.Login
	now        func() time.Time
	maxTracked int

	mu       sync.Mutex
	entries  map[string]*list.Element // key -> element holding *failures
	order    *list.List               // least recently failed first
	inflight map[string]int           // key -> attempts reserved, not yet finished
	known    map[string][]knownAddr   // extension -> addresses that logged in to it
}

// failures is what Throttle remembers about one IP or extension.
type failures struct {
	key         string
	times       []time.Time // recent failures, oldest first, at most the key's limit
	lockedUntil time.Time
}

type knownAddr struct {
	ip    string
	until time.Time
}

// NewThrottle returns a Throttle for cfg (from a validated configuration)
// reading the time from now.
func NewThrottle(cfg configs.Login, now func() time.Time) *Throttle {
	return &Throttle{
		cfg:        cfg,
		now:        now,
		maxTracked: defaultMaxTracked,
		entries:    make(map[string]*list.Element),
		order:      list.New(),
		inflight:   make(map[string]int),
		known:      make(map[string][]knownAddr),
	}
}

func ipKey(ip string) string   { return "ip\x00" + ip }
func extKey(ext string) string { return "ext\x00" + ext }

// Verdict is the Throttle's answer to one login attempt.
type Verdict struct {
	// Attempt is the reservation to finish after the password check; nil
	// when the attempt is refused without checking the password.
	Attempt *Attempt
	// Delay is how long to wait before checking the password: with f the
	// address's failures plus its attempts in flight, min(f-SlowAfter+1, 5)
	// seconds once f reaches SlowAfter, else 0.
	Delay time.Duration
	// RetryAfter is set when refused: when a try may succeed again.
	RetryAfter time.Duration
	// Refused names the limit that refused the attempt.
	Refused Scope
}

// Reserve decides, atomically, whether a login attempt from ip for ext may
// check a password. A granted attempt counts as a failure until it is
// finished, so parallel attempts cannot pass the limits together.
func (t *Throttle) Reserve(ip, ext string) Verdict {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.prune(now)
	ipK, extK := ipKey(ip), extKey(ext)
	if wait := t.blockedLocked(ipK, t.cfg.MaxFailures, now); wait > 0 {
		return Verdict{RetryAfter: wait, Refused: ScopeAddress}
	}
	if !t.isKnownLocked(ext, ip, now) {
		if wait := t.blockedLocked(extK, t.cfg.ExtensionMaxFailures, now); wait > 0 {
			return Verdict{RetryAfter: wait, Refused: ScopeExtension}
		}
	}
	used := t.failuresLocked(ipK, now) + t.inflight[ipK]
	t.inflight[ipK]++
	t.inflight[extK]++
	return Verdict{Attempt: &Attempt{t: t, ip: ip, ext: ext}, Delay: t.delayFor(used)}
}

// blockedLocked returns how long key is refused: its lock-out, or, when
// its failures plus attempts in flight reach limit, until a slot frees.
func (t *Throttle) blockedLocked(key string, limit int, now time.Time) time.Duration {
	f, lockedFor := 0, time.Duration(0)
	var e *failures
	if el, ok := t.entries[key]; ok {
		e = el.Value.(*failures)
		lockedFor = e.lockedUntil.Sub(now)
		f = e.count(now, t.window())
	}
	if lockedFor > 0 {
		return lockedFor
	}
	if f+t.inflight[key] < limit {
		return 0
	}
	if f >= limit { // the oldest failure that must expire for one more try
		return max(time.Second, e.times[f-limit].Add(t.window()).Sub(now))
	}
	return (maxDelaySteps + 1) * time.Second // attempts in flight finish within their delay
}

func (t *Throttle) failuresLocked(key string, now time.Time) int {
	if el, ok := t.entries[key]; ok {
		return el.Value.(*failures).count(now, t.window())
	}
	return 0
}

func (t *Throttle) delayFor(f int) time.Duration {
	if f < t.cfg.SlowAfter {
		return 0
	}
	return time.Duration(min(f-t.cfg.SlowAfter+1, maxDelaySteps)) * time.Second
}

func (t *Throttle) isKnownLocked(ext, ip string, now time.Time) bool {
	for _, k := range t.known[ext] {
		if k.ip == ip && now.Before(k.until) {
			return true
		}
	}
	return false
}

// Attempt is a reserved login try. Exactly one of Fail, Succeed or Release
// takes effect; later calls do nothing.
type Attempt struct {
	t       *Throttle
	ip, ext string
	done    bool // guarded by t.mu
}

// Fail records a wrong password: one failure for the address and one for
// the extension. Reaching a limit within the window locks that address or
// extension until Lockout after this failure.
func (a *Attempt) Fail() { a.finish(a.t.recordFailureLocked) }

// Succeed ends the attempt without a failure and makes the address known
// to the extension for KnownFor. Earlier failures are kept: a success does
// not give a guesser a new budget.
func (a *Attempt) Succeed() { a.finish(a.t.rememberLocked) }

// Release gives the reservation back without recording anything, for an
// attempt that ended before its password was checked.
func (a *Attempt) Release() { a.finish(func(string, string, time.Time) {}) }

func (a *Attempt) finish(record func(ip, ext string, now time.Time)) {
	t := a.t
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if a.done {
		return
	}
	a.done = true
	for _, key := range []string{ipKey(a.ip), extKey(a.ext)} {
		if t.inflight[key]--; t.inflight[key] <= 0 {
			delete(t.inflight, key)
		}
	}
	t.prune(now)
	record(a.ip, a.ext, now)
}

func (t *Throttle) recordFailureLocked(ip, ext string, now time.Time) {
	t.record(ipKey(ip), t.cfg.MaxFailures, now)
	t.record(extKey(ext), t.cfg.ExtensionMaxFailures, now)
}

func (t *Throttle) rememberLocked(ip, ext string, now time.Time) {
	kept := t.known[ext][:0]
	for _, k := range t.known[ext] {
		if k.ip != ip && now.Before(k.until) {
			kept = append(kept, k)
		}
	}
	if len(kept) >= maxKnownPerExt {
		kept = kept[len(kept)-maxKnownPerExt+1:]
	}
	t.known[ext] = append(kept, knownAddr{ip: ip, until: now.Add(KnownFor)})
}

// record adds a failure for key, whose lock-out comes at limit failures.
func (t *Throttle) record(key string, limit int, now time.Time) {
	el, ok := t.entries[key]
	if ok {
		t.order.MoveToBack(el)
	} else {
		for len(t.entries) >= t.maxTracked {
			t.remove(t.order.Front())
		}
		el = t.order.PushBack(&failures{key: key})
		t.entries[key] = el
	}
	e := el.Value.(*failures)
	e.count(now, t.window()) // drop expired times
	e.times = append(e.times, now)
	if over := len(e.times) - limit; over > 0 {
		e.times = append(e.times[:0], e.times[over:]...)
	}
	if len(e.times) >= limit {
		e.lockedUntil = now.Add(t.cfg.Lockout.D())
	}
}

// prune drops entries, least recently failed first, whose failures have all
// left the window and whose lock has ended.
func (t *Throttle) prune(now time.Time) {
	for el := t.order.Front(); el != nil; el = t.order.Front() {
		e := el.Value.(*failures)
		if e.count(now, t.window()) > 0 || now.Before(e.lockedUntil) {
			return
		}
		t.remove(el)
	}
}

func (t *Throttle) remove(el *list.Element) {
	delete(t.entries, el.Value.(*failures).key)
	t.order.Remove(el)
}

func (t *Throttle) window() time.Duration { return t.cfg.FailureWindow.D() }

// count drops failures older than window and returns how many remain.
func (e *failures) count(now time.Time, window time.Duration) int {
	i := 0
	for i < len(e.times) && now.Sub(e.times[i]) >= window {
		i++
	}
	e.times = e.times[i:]
	return len(e.times)
}
