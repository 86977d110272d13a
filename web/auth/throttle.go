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

// Throttle slows down and locks out repeated login failures, counted per
// remote IP and per extension within the failure window. It runs no
// goroutines: expired entries are pruned lazily. Safe for concurrent use.
type Throttle struct {
	cfg        configs.Login
	now        func() time.Time
	maxTracked int

	mu      sync.Mutex
	entries map[string]*list.Element // key -> element holding *failures
	order   *list.List               // least recently failed first
}

// failures is what Throttle remembers about one IP or extension.
type failures struct {
	key         string
	times       []time.Time // recent failures, oldest first, at most MaxFailures
	lockedUntil time.Time
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
	}
}

func ipKey(ip string) string   { return "ip\x00" + ip }
func extKey(ext string) string { return "ext\x00" + ext }

// Check tells whether a login attempt from ip for ext may proceed. If
// lockedFor > 0 the attempt must be refused without checking the password.
// Otherwise the attempt should be answered only after delay: with f the
// larger failure count of ip and ext, delay is min(f-SlowAfter+1, 5) seconds
// once f reaches SlowAfter, else 0.
func (t *Throttle) Check(ip, ext string) (delay, lockedFor time.Duration) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.prune(now)
	f := 0
	for _, key := range []string{ipKey(ip), extKey(ext)} {
		el, ok := t.entries[key]
		if !ok {
			continue
		}
		e := el.Value.(*failures)
		lockedFor = max(lockedFor, e.lockedUntil.Sub(now))
		f = max(f, e.count(now, t.window()))
	}
	if lockedFor > 0 {
		return 0, lockedFor
	}
	return t.delayFor(f), 0
}

func (t *Throttle) delayFor(f int) time.Duration {
	if f < t.cfg.SlowAfter {
		return 0
	}
	return time.Duration(min(f-t.cfg.SlowAfter+1, maxDelaySteps)) * time.Second
}

// Fail records a failed attempt from ip for ext. Reaching MaxFailures within
// the window locks that IP or extension until Lockout after this failure.
func (t *Throttle) Fail(ip, ext string) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.prune(now)
	t.record(ipKey(ip), now)
	t.record(extKey(ext), now)
}

// Succeed records a successful login: the extension's failures and lock are
// forgotten; the IP's are kept.
func (t *Throttle) Succeed(ip, ext string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if el, ok := t.entries[extKey(ext)]; ok {
		t.remove(el)
	}
}

func (t *Throttle) record(key string, now time.Time) {
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
	if over := len(e.times) - t.cfg.MaxFailures; over > 0 {
		e.times = append(e.times[:0], e.times[over:]...)
	}
	if len(e.times) >= t.cfg.MaxFailures {
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
