package rtcpclock

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/pion/rtcp"
)

// benchSession is a session receiving one NACK + TWCC video stream and
// sending one, on a clock that never ticks by itself.
func benchSession(tb testing.TB) (*Session, *Clock, []byte) {
	tb.Helper()
	c := NewWithSource(100*time.Millisecond, func(time.Duration) (<-chan time.Time, func()) { return nil, func() {} })
	s := NewSession(SessionConfig{Clock: c, SenderSSRC: 1, Write: func([]byte) {}})
	s.AddIncoming(42, 90000, true)
	s.AddOutgoing(7, 90000)
	s.SetTWCCExtension(5)
	pkt := rtpBytes(tb, 1, 0, 1)
	if ext, ok := rtpExtension(pkt, 5); !ok || &ext[0] != &pkt[17] {
		tb.Fatal("transport-wide sequence number not at bytes 17-18")
	}
	return s, c, pkt
}

// receivedOne feeds packet i (sequence and transport-wide numbers i).
func receivedOne(s *Session, pkt []byte, i int, now time.Time) {
	binary.BigEndian.PutUint16(pkt[2:4], uint16(i))
	binary.BigEndian.PutUint32(pkt[4:8], uint32(i)*3000)
	binary.BigEndian.PutUint16(pkt[17:19], uint16(i))
	s.Received(42, pkt, now)
}

// BenchmarkSessionReceived is what the read loop pays per received packet
// (receiver statistics, NACK log, TWCC arrival). It must not allocate.
func BenchmarkSessionReceived(b *testing.B) {
	s, c, pkt := benchSession(b)
	defer c.Close()
	defer s.Close()
	now := time.Now()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i%100 == 99 { // the feedback and reports every 100 ms, not timed
			b.StopTimer()
			c.fire(now)
			b.StartTimer()
		}
		now = now.Add(time.Millisecond)
		receivedOne(s, pkt, i, now)
	}
}

// BenchmarkSessionSent is what a writer pays per sent packet. It must not
// allocate.
func BenchmarkSessionSent(b *testing.B) {
	s, c, _ := benchSession(b)
	defer c.Close()
	defer s.Close()
	now := time.Now()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		now = now.Add(time.Millisecond)
		s.Sent(7, uint32(i)*3000, 1000, now)
	}
}

// The hot path guard outside benchmarks: in the steady state (after a
// warm-up second that sizes the TWCC arrival map) a second of 100 packets
// per 100 ms tick allocates nothing in Received and Sent.
func TestSessionReceivedAndSentDoNotAllocate(t *testing.T) {
	s, c, pkt := benchSession(t)
	defer c.Close()
	defer s.Close()
	now, i := time.Now(), 0
	var mallocs uint64
	for second := range 2 {
		for range 10 {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for range 100 {
				now = now.Add(time.Millisecond)
				receivedOne(s, pkt, i, now)
				s.Sent(7, uint32(i)*3000, 1000, now)
				i++
			}
			runtime.ReadMemStats(&after)
			if second == 1 {
				mallocs += after.Mallocs - before.Mallocs
			}
			c.fire(now) // the tick allocates its packets: not counted
		}
	}
	if mallocs != 0 {
		t.Fatalf("1,000 packets received and sent allocated %d times, want 0", mallocs)
	}
}

// tickRig is a session with one NACK + TWCC video stream received with a
// loss every 20 packets and one stream sent, reporting on every tick, fed
// 30 packets between ticks: every kind of packet a tick writes.
// The last tick's bytes are copied into *last (no allocation).
func tickRig(tb testing.TB, last *[]byte) (*Session, *Clock, func()) {
	tb.Helper()
	c := NewWithSource(100*time.Millisecond, func(time.Duration) (<-chan time.Time, func()) { return nil, func() {} })
	var written int
	s := NewSession(SessionConfig{Clock: c, SenderSSRC: 1, ReportInterval: 100 * time.Millisecond,
		Write: func(b []byte) { written += len(b); *last = append((*last)[:0], b...) }})
	s.AddIncoming(42, 90000, true)
	s.AddOutgoing(7, 90000)
	s.SetTWCCExtension(5)
	pkt := rtpBytes(tb, 1, 0, 1)
	now, i := time.Now(), 0
	step := func() {
		for range 30 {
			if i++; i%20 != 0 {
				now = now.Add(3 * time.Millisecond)
				receivedOne(s, pkt, i, now)
			}
			s.Sent(7, uint32(i)*3000, 1000, now)
		}
		before := written
		c.fire(now)
		if written == before {
			tb.Fatal("the tick wrote nothing")
		}
	}
	return s, c, step
}

// BenchmarkSessionTick is one leg's RTCP tick (SR, RR, NACK, TWCC
// feedback written into the session's buffer), with the 30 packets
// received and sent before it. It must not allocate.
func BenchmarkSessionTick(b *testing.B) {
	last := make([]byte, 0, 4096)
	s, c, step := tickRig(b, &last)
	defer c.Close()
	defer s.Close()
	for range 20 { // the TWCC arrival map and the buffers reach their size
		step()
	}
	b.ReportAllocs()
	for b.Loop() {
		step()
	}
}

// TestSessionTickDoesNotAllocate guards BenchmarkSessionTick's 0 allocs.
func TestSessionTickDoesNotAllocate(t *testing.T) {
	last := make([]byte, 0, 4096)
	s, c, step := tickRig(t, &last)
	defer c.Close()
	defer s.Close()
	for range 20 {
		step()
	}
	if n := testing.AllocsPerRun(100, step); n != 0 {
		t.Fatalf("%.1f allocations per tick", n)
	}
	pkts, err := rtcp.Unmarshal(last)
	if err != nil {
		t.Fatalf("the tick wrote undecodable RTCP: %v", err)
	}
	kinds := map[string]bool{}
	for _, p := range pkts {
		kinds[fmt.Sprintf("%T", p)] = true
	}
	for _, k := range []string{"*rtcp.SenderReport", "*rtcp.ReceiverReport", "*rtcp.TransportLayerNack", "*rtcp.TransportLayerCC"} {
		if !kinds[k] {
			t.Errorf("the tick wrote no %s (wrote %v)", k, kinds)
		}
	}
}
