package bwe

import (
	"testing"
	"time"

	"github.com/pion/rtcp"
)

// link simulates a bottleneck: packets queue behind each other at rate
// bits/s and arrive when serialized; a queue longer than maxQueue drops.
type link struct {
	rate     float64
	maxQueue time.Duration
	free     int64 // µs when the link is free again
}

// send returns the arrival time (µs) of a packet sent at atMicros, or false
// when the queue drops it.
func (l *link) send(size int, atMicros int64) (int64, bool) {
	start := max(atMicros, l.free)
	if time.Duration(start-atMicros)*time.Microsecond > l.maxQueue {
		return 0, false
	}
	l.free = start + int64(float64(size*8)/l.rate*1e6)
	return l.free + 20_000, true // plus 20 ms of propagation
}

// feedback builds one TWCC packet for consecutive sequence numbers from
// base; arrival < 0 means lost.
func feedback(base uint16, arrivals []int64) *rtcp.TransportLayerCC {
	fb := &rtcp.TransportLayerCC{BaseSequenceNumber: base, PacketStatusCount: uint16(len(arrivals))}
	ref := int64(-1)
	for _, a := range arrivals {
		if a >= 0 {
			ref = a / 64000
			break
		}
	}
	if ref < 0 {
		ref = 0
	}
	fb.ReferenceTime = uint32(ref)
	prev := ref * 64000
	var symbols []uint16
	for _, a := range arrivals {
		if a < 0 {
			symbols = append(symbols, rtcp.TypeTCCPacketNotReceived)
			continue
		}
		symbols = append(symbols, rtcp.TypeTCCPacketReceivedLargeDelta)
		fb.RecvDeltas = append(fb.RecvDeltas, &rtcp.RecvDelta{Type: rtcp.TypeTCCPacketReceivedLargeDelta, Delta: a - prev})
		prev = a
	}
	for len(symbols) > 0 {
		n := min(7, len(symbols))
		fb.PacketChunks = append(fb.PacketChunks, &rtcp.StatusVectorChunk{SymbolSize: rtcp.TypeTCCSymbolSizeTwoBit, SymbolList: symbols[:n]})
		symbols = symbols[n:]
	}
	return fb
}

// run sends at sendRate through l for d, with feedback every 100 ms, and
// returns the estimate after each second.
func run(e *Estimator, l *link, sendRate float64, start, d time.Duration) []int {
	const size = 1000
	gap := time.Duration(float64(size*8) / sendRate * float64(time.Second))
	var out []int
	var pending []int64
	var base uint16
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	next := start
	for at := start; at < start+d; at += gap {
		us := at.Microseconds()
		seq := e.History().Sent(size, us)
		if len(pending) == 0 {
			base = seq
		}
		arr, ok := l.send(size, us)
		if !ok {
			arr = -1
		}
		pending = append(pending, arr)
		if at >= next {
			e.OnFeedback(feedback(base, pending), t0.Add(at))
			pending = pending[:0]
			next += 100 * time.Millisecond
			if (at-start)%time.Second < 100*time.Millisecond && at > start {
				out = append(out, e.Estimate())
			}
		}
	}
	return out
}

// TestEstimatorFindsTheBottleneck: 700 kbit/s into a 300 kbit/s link brings
// the estimate under 300 kbit/s within two seconds; it stays there.
func TestEstimatorFindsTheBottleneck(t *testing.T) {
	e := NewEstimator(&History{})
	l := &link{rate: 300_000, maxQueue: 300 * time.Millisecond}
	got := run(e, l, 700_000, time.Second, 5*time.Second)
	t.Logf("estimates each second: %v", got)
	if len(got) < 4 {
		t.Fatalf("estimates %v", got)
	}
	if got[1] == 0 || got[1] > 300_000 {
		t.Fatalf("estimate after 2 s %d bit/s (all %v), want ≤ 300000", got[1], got)
	}
	for _, g := range got[1:] {
		if g == 0 || g > 330_000 || g < 150_000 {
			t.Fatalf("estimates %v: want 150–330 kbit/s once congested", got)
		}
	}
}

// TestEstimatorStaysUnlimitedOnAClearPath: a link with room to spare never
// produces a limit.
func TestEstimatorStaysUnlimitedOnAClearPath(t *testing.T) {
	e := NewEstimator(&History{})
	l := &link{rate: 10_000_000, maxQueue: 300 * time.Millisecond}
	for _, g := range run(e, l, 1_500_000, time.Second, 4*time.Second) {
		if g != 0 {
			t.Fatalf("estimate %d on a clear 10 Mbit/s path, want none", g)
		}
	}
}

// TestEstimatorRecoversWhenTheLinkClears: after the bottleneck goes, the
// estimate grows again (8 % per second, bounded by what gets through).
func TestEstimatorRecoversWhenTheLinkClears(t *testing.T) {
	e := NewEstimator(&History{})
	l := &link{rate: 300_000, maxQueue: 300 * time.Millisecond}
	congested := run(e, l, 700_000, time.Second, 3*time.Second)
	low := congested[len(congested)-1]
	l.rate = 10_000_000
	l.free = 0
	clear := run(e, l, 700_000, 4*time.Second, 4*time.Second)
	if last := clear[len(clear)-1]; last != 0 && last <= low {
		t.Fatalf("estimate %d after the link cleared, was %d when congested (all %v)", last, low, clear)
	}
}

// TestHistoryForgetsOldPackets: a sequence number that wrapped around the
// ring is not mistaken for the one asked.
func TestHistoryForgetsOldPackets(t *testing.T) {
	var h History
	first := h.Sent(100, 5)
	for range historySize {
		h.Sent(200, 9)
	}
	if _, _, ok := h.lookup(first); ok {
		t.Fatal("a packet overwritten in the ring was still found")
	}
	last := h.Sent(300, 7)
	if at, size, ok := h.lookup(last); !ok || at != 7 || size != 300 {
		t.Fatalf("lookup = %d %d %v, want 7 300 true", at, size, ok)
	}
}

// TestEstimatorIgnoresAHiccup: one feedback whose packets all arrived 80 ms
// late (a stalled receiver or sender, not a queue on the path) sets no
// limit; the same delay kept for two feedbacks in a row does.
func TestEstimatorIgnoresAHiccup(t *testing.T) {
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	e := NewEstimator(&History{})
	at := int64(1_000_000)
	batch := func(extra int64) {
		var arrivals []int64
		var base uint16
		for i := range 10 {
			seq := e.History().Sent(1000, at)
			if i == 0 {
				base = seq
			}
			arrivals = append(arrivals, at+20_000+extra)
			at += 10_000
		}
		e.OnFeedback(feedback(base, arrivals), t0.Add(time.Duration(at)*time.Microsecond))
	}
	for range 5 {
		batch(0)
	}
	batch(80_000)
	batch(0)
	if got := e.Estimate(); got != 0 {
		t.Fatalf("a single late feedback set a limit of %d bit/s", got)
	}
	batch(80_000)
	batch(80_000)
	if got := e.Estimate(); got == 0 {
		t.Fatal("a queue seen in two feedbacks in a row set no limit")
	}
}
