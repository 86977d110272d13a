package rtcpclock

import (
	"maps"
	"time"

	"github.com/pion/rtcp"
)

// AddIncoming adds (or restarts) a stream the peer sends us: receiver
// reports for it, and NACKs for its lost packets if nack.
func (s *Session) AddIncoming(ssrc, clockRate uint32, nack bool) {
	st := &inStream{stats: recvStream{clockRate: float64(clockRate)}}
	if nack {
		st.log = &receiveLog{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := maps.Clone(*s.in.Load())
	m[ssrc] = st
	s.in.Store(&m)
}

// RemoveIncoming drops a stream the peer sends us.
func (s *Session) RemoveIncoming(ssrc uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := maps.Clone(*s.in.Load())
	delete(m, ssrc)
	s.in.Store(&m)
}

// AddOutgoing adds (or restarts) a stream we send the peer: sender
// reports for it.
func (s *Session) AddOutgoing(ssrc, clockRate uint32) {
	st := &sendStream{clockRate: float64(clockRate)}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := maps.Clone(*s.out.Load())
	m[ssrc] = st
	s.out.Store(&m)
}

// RemoveOutgoing drops a stream we send the peer.
func (s *Session) RemoveOutgoing(ssrc uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := maps.Clone(*s.out.Load())
	delete(m, ssrc)
	s.out.Store(&m)
}

// SetTWCCExtension sets the transport-wide-cc header extension id of the
// incoming RTP; 0 turns TWCC feedback off.
func (s *Session) SetTWCCExtension(id uint8) { s.twccID.Store(uint32(id)) }

// Received counts one decrypted RTP packet (header and payload bytes) of
// ssrc that arrived at now. It does not keep pkt.
func (s *Session) Received(ssrc uint32, pkt []byte, now time.Time) {
	st, ok := (*s.in.Load())[ssrc]
	if !ok {
		s.ignored.Add(1)
		return
	}
	seq, ts, ok := rtpSeqTS(pkt)
	if !ok {
		return
	}
	st.stats.received(seq, ts, now)
	if st.log != nil {
		st.log.add(seq)
	}
	if id := s.twccID.Load(); id != 0 {
		if ext, ok := rtpExtension(pkt, uint8(id)); ok {
			s.arrivals.record(ssrc, ext, now)
		}
	}
}

// Sent counts one RTP packet of ssrc we sent at now, with RTP timestamp ts
// and payloadBytes of payload.
func (s *Session) Sent(ssrc uint32, ts uint32, payloadBytes int, now time.Time) {
	st, ok := (*s.out.Load())[ssrc]
	if !ok {
		s.ignored.Add(1)
		return
	}
	st.note(ts, payloadBytes, now)
}

// ReceivedRTCP takes the peer's RTCP: its sender reports about the streams
// it sends us give our receiver reports their LSR and DLSR.
func (s *Session) ReceivedRTCP(pkts []rtcp.Packet, now time.Time) {
	senderReportsIn(pkts, func(sr *rtcp.SenderReport) {
		s.ReceivedSenderReport(sr.SSRC, sr.NTPTime, now)
	})
}

// ReceivedSenderReport takes one sender report of the peer's, about its
// stream ssrc with NTP time ntp, received at now: ReceivedRTCP for a
// caller that reads RTCP itself.
func (s *Session) ReceivedSenderReport(ssrc uint32, ntp uint64, now time.Time) {
	if st, ok := (*s.in.Load())[ssrc]; ok {
		st.stats.senderReport(ntp, now)
	}
}
