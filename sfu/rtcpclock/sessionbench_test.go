package rtcpclock

import (
	"encoding/binary"
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
	s := NewSession(SessionConfig{Clock: c, SenderSSRC: 1, Write: func([]rtcp.Packet) {}})
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
