package siptrunk

import (
	"net/netip"
	"sync"
	"time"
)

// maxBuckets bounds the per-source table; beyond it sources share one
// bucket (only allowed sources get here, so this takes a large CIDR).
const maxBuckets = 4096

// rateLimiter is a token bucket per source IP: rate tokens a second, at
// most burst saved up. Time is injected.
type rateLimiter struct {
	rate, burst float64
	now         func() time.Time

	mu       sync.Mutex
	buckets  map[netip.Addr]*bucket
	overflow bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter(perSecond, burst int, now func() time.Time) *rateLimiter {
	return &rateLimiter{rate: float64(perSecond), burst: float64(burst), now: now, buckets: map[netip.Addr]*bucket{}}
}

// allow takes a token for src, reporting false when its bucket is empty.
func (r *rateLimiter) allow(src netip.Addr) bool {
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.buckets[src]
	if b == nil {
		if len(r.buckets) >= maxBuckets {
			r.sweepLocked(now)
		}
		if len(r.buckets) >= maxBuckets {
			b = &r.overflow
		} else {
			b = &bucket{tokens: r.burst, last: now}
			r.buckets[src] = b
		}
	}
	b.tokens = min(r.burst, b.tokens+now.Sub(b.last).Seconds()*r.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// sweepLocked forgets sources whose bucket has refilled (idle ones).
func (r *rateLimiter) sweepLocked(now time.Time) {
	full := time.Duration(r.burst / r.rate * float64(time.Second))
	for a, b := range r.buckets {
		if now.Sub(b.last) >= full {
			delete(r.buckets, a)
		}
	}
}
