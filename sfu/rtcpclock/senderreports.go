package rtcpclock

import (
	"sync"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// SenderReports is an interceptor factory that sends an RTCP sender report
// (RFC 3550 §6.4.1) for every stream a leg sends, on the shared clock. The
// receiver needs them to line up audio and video and to measure the
// round-trip time.
type SenderReports struct{ schedule }

// NewSenderReports returns a factory reporting every interval on clock;
// now is the wall clock (nil: time.Now).
func NewSenderReports(clock *Clock, interval time.Duration, now func() time.Time) *SenderReports {
	return &SenderReports{newSchedule(clock, interval, now)}
}

// NewInterceptor is called by pion once per PeerConnection.
func (f *SenderReports) NewInterceptor(string) (interceptor.Interceptor, error) {
	r := &senderReports{periodic: newPeriodic[*sendStream](f.schedule), now: f.now}
	r.build = r.reports
	return r, nil
}

type senderReports struct {
	periodic[*sendStream]
	now func() time.Time
}

// sendStream is what a sender report says about one outgoing stream.
type sendStream struct {
	clockRate float64

	mu      sync.Mutex
	sent    bool
	lastTS  uint32    // RTP timestamp of the newest packet
	lastAt  time.Time // when it was sent
	packets uint32
	octets  uint32
}

// BindLocalStream counts what the stream sends.
func (r *senderReports) BindLocalStream(info *interceptor.StreamInfo, writer interceptor.RTPWriter) interceptor.RTPWriter {
	s := &sendStream{clockRate: float64(info.ClockRate)}
	if info.ClockRate == 0 || !r.addStream(info.SSRC, s) {
		return writer
	}
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		s.note(h.Timestamp, len(payload), r.now())
		return writer.Write(h, payload, a)
	})
}

// note counts a packet; only a newer timestamp moves the RTP/wall-clock
// pair, so retransmissions and reordering do not skew it.
func (s *sendStream) note(ts uint32, size int, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.packets++
	s.octets += uint32(size)
	if !s.sent || int32(ts-s.lastTS) >= 0 {
		s.sent, s.lastTS, s.lastAt = true, ts, now
	}
}

// reports reports every stream that has sent something, its RTP time
// carried forward from the newest packet to now.
func (r *senderReports) reports(time.Time) []rtcp.Packet {
	now := r.now()
	var pkts []rtcp.Packet
	r.each(func(ssrc uint32, s *sendStream) {
		if sr, ok := s.report(ssrc, now); ok {
			pkts = append(pkts, &sr)
		}
	})
	return pkts
}

func (s *sendStream) report(ssrc uint32, now time.Time) (rtcp.SenderReport, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.sent {
		return rtcp.SenderReport{}, false
	}
	elapsed := now.Sub(s.lastAt).Seconds()
	return rtcp.SenderReport{
		SSRC: ssrc, NTPTime: ntpTime(now), RTPTime: s.lastTS + uint32(int64(elapsed*s.clockRate)),
		PacketCount: s.packets, OctetCount: s.octets,
	}, true
}

// ntpTime is t as a 64-bit NTP timestamp (seconds since 1900, 32.32).
func ntpTime(t time.Time) uint64 {
	const unixToNTP = 2208988800
	ns := uint64(t.UnixNano())
	secs := ns/1e9 + unixToNTP
	frac := (ns % 1e9) << 32 / 1e9
	return secs<<32 | frac
}
