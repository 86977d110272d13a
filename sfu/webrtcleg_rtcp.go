package sfu

import (
	"time"

	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"

	"xphone/sfu/rtcpclock"
)

// The RTCP a leg generates — NACKs and TWCC feedback about what the browser
// sends, receiver and sender reports — comes from one rtcpclock.Session per
// leg on the MediaAPI's shared clock: the read goroutine feeds it each
// packet's bytes, the down tracks' writer each packet sent, and the clock's
// goroutine writes what is due as one compound packet per tick.

// startRTCP creates the leg's session and tells it the streams the server
// sends and the transport-wide extension the browser numbers with.
func (l *WebRTCLeg) startRTCP() {
	peer := l.peer
	log := l.log
	out := l.api.rtcpOut // nil without an engine (tests of the leg alone)
	sess := rtcpclock.NewSession(rtcpclock.SessionConfig{
		Clock: l.api.clock, NackInterval: rtcpClockBase, ReportInterval: reportInterval,
		SenderSSRC: newSSRC(),
		// The session writes its compound into its own buffer by hand
		// (no rtcp.Marshal); both writes seal a copy before returning.
		// On the clock's goroutine, the batch is sealed into now and
		// sent with every other leg's after the tick (MediaAPI.flushRTCP).
		Write: func(raw []byte) {
			var err error
			if out != nil {
				err = out.AddRTCP(peer, raw)
			} else {
				err = peer.WriteRTCP(raw)
			}
			if err != nil {
				log.Debug("rtcp write", "err", err)
			}
		},
	})
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.sections {
		if id := s.ext(sdp.TransportCCURI); id != 0 && !s.rejected {
			sess.SetTWCCExtension(id)
		}
		if s.down != nil {
			sess.AddOutgoing(s.ssrc, clockRate(s.kind))
		}
	}
	l.rtcp.Store(sess)
}

// clockRate is the RTP clock rate of the codec of kind.
func clockRate(kind Kind) uint32 {
	if kind == Video {
		return videoClockRate
	}
	return audioClockRate
}

// OnRTPRaw implements engine.RawRTPHandler: the packet is counted for the
// leg's RTCP, then forwarded.
func (m *legMedia) OnRTPRaw(p *rtp.Packet, raw []byte) {
	up := (*m.routes.Load())[p.SSRC]
	if up == nil {
		if up = m.learn(p); up == nil {
			m.unknown.Add(1)
			return
		}
	}
	if s := m.l.rtcp.Load(); s != nil {
		s.Received(p.SSRC, raw, time.Now())
	}
	up.Forward(p)
}
