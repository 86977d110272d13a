package rtcpclock

import (
	"math/rand/v2"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
)

// ReceiverReports is an interceptor factory that sends an RTCP receiver
// report (RFC 3550 §6.4.2) for every stream a leg receives, on the shared
// clock: loss, jitter and the timing the sender needs for round-trip time.
type ReceiverReports struct{ schedule }

// NewReceiverReports returns a factory reporting every interval on clock;
// now is the wall clock (nil: time.Now).
func NewReceiverReports(clock *Clock, interval time.Duration, now func() time.Time) *ReceiverReports {
	return &ReceiverReports{newSchedule(clock, interval, now)}
}

// NewInterceptor is called by pion once per PeerConnection.
func (f *ReceiverReports) NewInterceptor(string) (interceptor.Interceptor, error) {
	r := &receiverReports{periodic: newPeriodic[*recvStream](f.schedule), now: f.now, ssrc: rand.Uint32()}
	r.build = r.reports
	return r, nil
}

type receiverReports struct {
	periodic[*recvStream]
	now  func() time.Time
	ssrc uint32 // ours, as the reports' sender
}

// BindRemoteStream tracks the stream's sequence numbers and jitter.
func (r *receiverReports) BindRemoteStream(info *interceptor.StreamInfo, reader interceptor.RTPReader) interceptor.RTPReader {
	s := &recvStream{clockRate: float64(info.ClockRate)}
	if info.ClockRate == 0 || !r.addStream(info.SSRC, s) {
		return reader
	}
	return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		n, attr, err := reader.Read(b, a)
		if seq, ts, ok := rtpSeqTS(b[:max(n, 0)]); err == nil && ok {
			s.received(seq, ts, r.now())
		}
		return n, attr, err
	})
}

// BindRTCPReader notes the sender reports the peer sends about the
// streams we receive, for the reports' LSR and DLSR fields.
func (r *receiverReports) BindRTCPReader(reader interceptor.RTCPReader) interceptor.RTCPReader {
	return interceptor.RTCPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		n, attr, err := reader.Read(b, a)
		if err != nil {
			return n, attr, err
		}
		if attr == nil {
			attr = interceptor.Attributes{}
		}
		pkts, perr := attr.GetRTCPPackets(b[:n])
		if perr != nil {
			return n, attr, err // not ours to judge: pass it on as read
		}
		senderReportsIn(pkts, r.noteSenderReport)
		return n, attr, err
	})
}

func (r *receiverReports) noteSenderReport(sr *rtcp.SenderReport) {
	if s, ok := r.stream(sr.SSRC); ok {
		s.senderReport(sr.NTPTime, r.now())
	}
}

// reports makes one receiver report with a block per stream heard from.
func (r *receiverReports) reports(time.Time) []rtcp.Packet {
	now := r.now()
	var blocks []rtcp.ReceptionReport
	r.each(func(ssrc uint32, s *recvStream) {
		if block, ok := s.report(ssrc, now); ok {
			blocks = append(blocks, block)
		}
	})
	return appendReceiverReports(nil, r.ssrc, blocks)
}

// maxReportBlocks is how many reception reports one RTCP packet holds
// (its 5-bit count).
const maxReportBlocks = 31

// appendReceiverReports appends receiver reports from senderSSRC carrying
// blocks, as many packets as the blocks need.
func appendReceiverReports(pkts []rtcp.Packet, senderSSRC uint32, blocks []rtcp.ReceptionReport) []rtcp.Packet {
	for len(blocks) > 0 {
		n := min(len(blocks), maxReportBlocks)
		pkts = append(pkts, &rtcp.ReceiverReport{SSRC: senderSSRC, Reports: blocks[:n:n]})
		blocks = blocks[n:]
	}
	return pkts
}

// senderReportsIn calls note with every sender report in pkts.
func senderReportsIn(pkts []rtcp.Packet, note func(*rtcp.SenderReport)) {
	for _, p := range pkts {
		if sr, ok := p.(*rtcp.SenderReport); ok {
			note(sr)
		}
	}
}
