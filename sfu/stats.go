package sfu

import (
	"sync/atomic"
	"time"
)

// Stats counts what the media plane does, for metrics. All fields are
// atomics: the packet path increments them without locks.
type Stats struct {
	PacketsForwarded atomic.Uint64
	BytesForwarded   atomic.Uint64
	PacketsDropped   atomic.Uint64
	// PacketsResent counts video packets sent again because a viewer's
	// NACK asked for them (downtrack_resend.go): a rising rate means lossy
	// viewers, before they complain of frozen video.
	PacketsResent   atomic.Uint64
	SpeakerSwitches atomic.Uint64
	LayerSwitches   atomic.Uint64
	LegsActive      atomic.Int64
	LegsTotal       atomic.Uint64
	MixTick         Histogram
	// MixCaughtUp counts mixer frames produced late, in a burst after a
	// wake-up that came more than one period late; MixSkipped the frames
	// a longer stall skipped (mediaclock.go).
	MixCaughtUp atomic.Uint64
	MixSkipped  atomic.Uint64
}

// mixTickBuckets are the upper bounds of the mixer tick histogram.
var mixTickBuckets = [...]time.Duration{
	100 * time.Microsecond, 250 * time.Microsecond, 500 * time.Microsecond, time.Millisecond,
	2 * time.Millisecond, 5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond,
}

// Histogram is a fixed-bucket duration histogram safe for concurrent use
// without locks.
type Histogram struct {
	counts [len(mixTickBuckets) + 1]atomic.Uint64
	sumNs  atomic.Int64
}

// Observe records one duration.
func (h *Histogram) Observe(d time.Duration) {
	i := 0
	for i < len(mixTickBuckets) && d > mixTickBuckets[i] {
		i++
	}
	h.counts[i].Add(1)
	h.sumNs.Add(int64(d))
}

// Snapshot returns cumulative counts per bucket bound (seconds), the total
// count and the sum in seconds, as Prometheus histograms want them.
func (h *Histogram) Snapshot() (buckets map[float64]uint64, count uint64, sum float64) {
	buckets = make(map[float64]uint64, len(mixTickBuckets))
	var cum uint64
	for i, b := range mixTickBuckets {
		cum += h.counts[i].Load()
		buckets[b.Seconds()] = cum
	}
	count = cum + h.counts[len(mixTickBuckets)].Load()
	return buckets, count, time.Duration(h.sumNs.Load()).Seconds()
}
