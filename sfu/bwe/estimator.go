package bwe

import (
	"sync"
	"time"

	"github.com/pion/rtcp"
)

// Tuning of the estimator (GCC's constants where it has them).
const (
	// queueOveruse: one-way delay this far above its recent minimum means
	// a queue is building on the path.
	queueOveruse = 40 * time.Millisecond
	// lossHigh and lossLow bound the loss fractions of "congested" and
	// "clear" (GCC: 10 % and 2 %).
	lossHigh = 0.10
	lossLow  = 0.02
	// backoff is the share of the acknowledged rate the estimate drops to.
	backoff = 0.85
	// growthPerSecond is the multiplicative increase while the path is clear.
	growthPerSecond = 1.08
	// unlimited: an estimate that grew back above this means no limit.
	unlimited = 8_000_000
	// rateWindow is how much feedback the acknowledged rate is taken over.
	rateWindow = 500 * time.Millisecond
	// baseWindow is how long the minimum one-way delay is remembered.
	baseWindow = 10 * time.Second
	// floor keeps the estimate above what one audio stream and the lowest
	// video layer need.
	floor = 60_000
	// overuseUpdates is how many feedback packets in a row must show the
	// queue before it counts: a CPU hiccup delays some packets once, a
	// queue on the path delays all of them and stays.
	overuseUpdates = 2
	// probeAfter: this long after the last congestion, growth is no longer
	// held to what the link has shown it delivers, so a viewer whose link
	// recovered (or who was misled by a hiccup) climbs back up.
	probeAfter = 5 * time.Second
)

// Estimator turns TWCC feedback about the packets in a History into a
// downlink estimate. Safe for concurrent use.
type Estimator struct {
	hist *History

	mu        sync.Mutex
	estimate  float64 // bits/s; 0 = no congestion seen (no limit)
	lastAt    time.Time
	acked     []ack // recent arrivals, for the acknowledged rate
	base      float64
	baseAt    time.Time
	lost, all int   // since the last update
	batchMin  int64 // least one-way delay in the latest feedback (µs)
	batchSeen bool
	overuse   int       // updates in a row that showed a queue
	congested time.Time // when the estimate last backed off
}

// ack is one packet the browser received: when it arrived (µs, browser
// clock), its one-way delay (arrival − send, µs, offset unknown) and size.
type ack struct {
	arrival, delay int64
	size           int
}

// NewEstimator returns an estimator reading sent packets from h.
func NewEstimator(h *History) *Estimator { return &Estimator{hist: h} }

// History is where the leg records what it sends.
func (e *Estimator) History() *History { return e.hist }

// Estimate is the current estimate in bits/s, 0 while there is no limit.
func (e *Estimator) Estimate() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return int(e.estimate)
}

// OnFeedback takes one TWCC feedback packet received at now.
func (e *Estimator) OnFeedback(fb *rtcp.TransportLayerCC, now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.batchSeen = false
	e.collect(fb)
	e.update(now)
}

// collect reads the feedback's packet statuses and arrival times.
func (e *Estimator) collect(fb *rtcp.TransportLayerCC) {
	arrival := int64(fb.ReferenceTime) * 64000 // µs
	deltas := fb.RecvDeltas
	seq := fb.BaseSequenceNumber
	forEachStatus(fb, func(status uint16) {
		defer func() { seq++ }()
		e.all++
		if status == rtcp.TypeTCCPacketNotReceived {
			e.lost++
			return
		}
		if status == rtcp.TypeTCCPacketReceivedWithoutDelta || len(deltas) == 0 {
			return
		}
		arrival += deltas[0].Delta
		deltas = deltas[1:]
		if sent, size, ok := e.hist.lookup(seq); ok {
			delay := arrival - sent
			e.acked = append(e.acked, ack{arrival: arrival, delay: delay, size: size})
			if !e.batchSeen || delay < e.batchMin {
				e.batchMin, e.batchSeen = delay, true
			}
		}
	})
}

// forEachStatus calls f with the status of every packet the feedback covers.
func forEachStatus(fb *rtcp.TransportLayerCC, f func(uint16)) {
	left := int(fb.PacketStatusCount)
	for _, c := range fb.PacketChunks {
		switch c := c.(type) {
		case *rtcp.RunLengthChunk:
			for i := 0; i < int(c.RunLength) && left > 0; i++ {
				f(c.PacketStatusSymbol)
				left--
			}
		case *rtcp.StatusVectorChunk:
			for _, s := range c.SymbolList {
				if left == 0 {
					break
				}
				f(s)
				left--
			}
		}
	}
}

// update moves the estimate after new feedback.
func (e *Estimator) update(now time.Time) {
	e.trim()
	if len(e.acked) == 0 {
		return
	}
	rate := e.ackedRate()
	queue := e.queueDelay(now)
	loss := 0.0
	if e.all > 0 {
		loss = float64(e.lost) / float64(e.all)
	}
	e.lost, e.all = 0, 0
	elapsed := now.Sub(e.lastAt).Seconds()
	if e.lastAt.IsZero() || elapsed > 1 {
		elapsed = 0.1
	}
	e.lastAt = now
	if queue > queueOveruse {
		e.overuse++
	} else {
		e.overuse = 0
	}
	switch {
	case e.overuse >= overuseUpdates || loss > lossHigh:
		target := max(floor, backoff*rate)
		if e.estimate == 0 || target < e.estimate {
			e.estimate = target
		}
		e.congested = now
	case e.estimate > 0 && loss < lossLow:
		e.estimate *= 1 + (growthPerSecond-1)*elapsed
		if now.Sub(e.congested) < probeAfter {
			// Soon after congestion, not far past what the link showed it
			// delivers (GCC); later it probes upward.
			e.estimate = min(e.estimate, 1.5*rate+100_000)
		}
		if e.estimate >= unlimited {
			e.estimate = 0
		}
	}
}

// trim keeps the arrivals of the last rateWindow.
func (e *Estimator) trim() {
	if len(e.acked) == 0 {
		return
	}
	newest := e.acked[len(e.acked)-1].arrival
	cut := 0
	for cut < len(e.acked) && newest-e.acked[cut].arrival > rateWindow.Microseconds() {
		cut++
	}
	e.acked = append(e.acked[:0], e.acked[cut:]...)
}

// ackedRate is what the link delivered over the window, in bits/s.
func (e *Estimator) ackedRate() float64 {
	first, last := e.acked[0], e.acked[len(e.acked)-1]
	span := float64(last.arrival-first.arrival) / 1e6
	if span < 0.05 {
		span = 0.05
	}
	bytes := 0
	for _, a := range e.acked[1:] {
		bytes += a.size
	}
	return float64(bytes) * 8 / span
}

// queueDelay is how far the least one-way delay of the latest feedback
// lies above the minimum of the last baseWindow: the queue every packet
// waited in (a packet delayed alone does not make a queue).
func (e *Estimator) queueDelay(now time.Time) time.Duration {
	if !e.batchSeen {
		return 0
	}
	latest := float64(e.batchMin)
	for _, a := range e.acked {
		if d := float64(a.delay); e.baseAt.IsZero() || d < e.base || now.Sub(e.baseAt) > baseWindow {
			e.base, e.baseAt = d, now
		}
	}
	return time.Duration(latest-e.base) * time.Microsecond
}
