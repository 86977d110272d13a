package rtcpclock

import (
	"sync"
	"time"

	"github.com/pion/rtcp"
)

// recvStream keeps the RFC 3550 appendix A.3 and A.8 statistics of one
// received stream.
type recvStream struct {
	clockRate float64

	mu            sync.Mutex
	started       bool
	base, highest uint32 // extended sequence numbers (cycles << 16 | seq)
	count         uint32 // packets received
	expectedPrior uint32
	countPrior    uint32
	start         time.Time // arrival of the first packet, for transit times
	lastTransit   uint32
	jitter        float64 // in timestamp units
	lastSR        uint32  // middle 32 bits of the last sender report's NTP time
	lastSRAt      time.Time
}

// received counts one packet that arrived at now.
func (s *recvStream) received(seq uint16, ts uint32, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	arrival := uint32(int64(now.Sub(s.start).Seconds() * s.clockRate))
	if !s.started {
		s.started, s.base, s.highest, s.start = true, uint32(seq), uint32(seq), now
		s.count, s.lastTransit = 1, 0-ts
		return
	}
	if diff := int16(seq - uint16(s.highest)); diff > 0 {
		if seq < uint16(s.highest) {
			s.highest += 1 << 16 // wrapped
		}
		s.highest = s.highest&^0xffff | uint32(seq)
	}
	s.count++
	transit := arrival - ts
	d := float64(int32(transit - s.lastTransit))
	if d < 0 {
		d = -d
	}
	s.lastTransit = transit
	s.jitter += (d - s.jitter) / 16
}

// senderReport notes a sender report's time for LSR/DLSR.
func (s *recvStream) senderReport(ntp uint64, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastSR, s.lastSRAt = uint32(ntp>>16), now
}

// report is the reception report block for now, and starts the next
// interval for the fraction lost.
func (s *recvStream) report(ssrc uint32, now time.Time) (rtcp.ReceptionReport, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started {
		return rtcp.ReceptionReport{}, false
	}
	expected := s.highest - s.base + 1
	lost := max(0, min(int64(expected)-int64(s.count), 0x7fffff))
	expInterval, countInterval := expected-s.expectedPrior, s.count-s.countPrior
	s.expectedPrior, s.countPrior = expected, s.count
	var fraction uint8
	if lostInterval := int64(expInterval) - int64(countInterval); expInterval > 0 && lostInterval > 0 {
		fraction = uint8(min(255, lostInterval<<8/int64(expInterval)))
	}
	var delay uint32
	if !s.lastSRAt.IsZero() {
		delay = uint32(now.Sub(s.lastSRAt).Seconds() * 65536)
	}
	return rtcp.ReceptionReport{
		SSRC: ssrc, FractionLost: fraction, TotalLost: uint32(lost), LastSequenceNumber: s.highest,
		Jitter: uint32(s.jitter), LastSenderReport: s.lastSR, Delay: delay,
	}, true
}
