package sipmedia

import (
	"net/netip"
	"time"

	"github.com/pion/rtcp"
)

// rtcpInterval is how often the socket back-end sends its report: RFC
// 3550's 5 s minimum for a two-party session; the peer sees we are
// alive and can measure what arrives.
const rtcpInterval = 5 * time.Second

// ntpEpochOffset is 1900-01-01 → 1970-01-01 in seconds.
const ntpEpochOffset = 2208988800

// ntpTime is t as a 64-bit NTP timestamp (RFC 3550 §4).
func ntpTime(t time.Time) uint64 {
	secs := uint64(t.Unix()) + ntpEpochOffset
	frac := uint64(t.Nanosecond()) << 32 / 1e9
	return secs<<32 | frac
}

// rtcpLoop sends a report every interval until the media closes.
func (m *sockMedia) rtcpLoop(interval time.Duration) {
	defer m.wg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	buf := make([]byte, 0, 1500)
	for {
		select {
		case <-m.ctx.Done():
			return
		case <-t.C:
		}
		if err := m.sendReport(buf); err != nil && err != errNoRemote {
			m.log.Debug("RTCP report not sent", "err", err)
		}
	}
}

// sendReport sends one compound report: SR (or RR before we sent
// anything) and our CNAME, as SRTCP in the SRTP modes, on the RTP port
// with rtcp-mux, else from our RTCP port to the peer's.
func (m *sockMedia) sendReport(buf []byte) error {
	out, err := m.sealReport(buf)
	if err != nil {
		return err
	}
	return m.writeRTCP(out)
}

// writeRTCP sends one protected compound packet: on the RTP port with
// rtcp-mux, else from our RTCP port to the peer's.
func (m *sockMedia) writeRTCP(out []byte) error {
	var err error
	if m.peer.rtcpMux {
		_, err = m.writeRaw(out)
	} else if a := m.rtcpRemote.Load(); a != nil {
		_, err = m.rtcp.WriteToUDPAddrPort(out, *a)
	} else {
		err = errNoRemote
	}
	if err == nil {
		m.stats.rtcpSent.Add(1)
	}
	return err
}

// sealReport builds and protects the report under wmu, which guards the
// counters and the SRTP context it shares with the RTP writers.
func (m *sockMedia) sealReport(buf []byte) ([]byte, error) {
	m.wmu.Lock()
	defer m.wmu.Unlock()
	pair := m.sec.Load()
	if m.kind != sockRTP && pair == nil {
		return nil, errNoRemote
	}
	ssrc := m.whdr.SSRC
	var first rtcp.Packet = &rtcp.ReceiverReport{SSRC: ssrc}
	if m.txPackets > 0 {
		// The timestamp is the next packet's: at most one frame off "now"
		// while audio flows, which is all a receiver's lip-sync needs.
		first = &rtcp.SenderReport{SSRC: ssrc, NTPTime: ntpTime(time.Now()), RTPTime: m.whdr.Timestamp,
			PacketCount: uint32(m.txPackets), OctetCount: uint32(m.txOctets)}
	}
	plain, err := rtcp.Marshal([]rtcp.Packet{first, rtcp.NewCNAMESourceDescription(ssrc, m.cname)})
	if err != nil || pair == nil {
		return plain, err
	}
	return pair.tx.EncryptRTCP(buf[:0], plain, nil)
}

// acceptRTCP checks an RTCP packet from the peer (authenticated in the
// SRTP modes, from the peer's address for plain RTP) and counts it: its
// arrival keeps the call alive for the media timeout. The content is not
// used, except on a video stream (keyframe requests). It reports whether
// the packet was accepted.
func (m *sockMedia) acceptRTCP(b, clear []byte, from netip.AddrPort) bool {
	if m.kind == sockRTP {
		if cur := m.remote.Load(); cur != nil && cur.Addr() != from.Addr() {
			m.stats.rejected.Add(1)
			return false
		}
	} else {
		pair := m.sec.Load()
		if pair == nil {
			return false
		}
		plain, err := pair.rtcpRx.DecryptRTCP(clear[:0], b, nil)
		if err != nil {
			m.stats.rejected.Add(1)
			return false
		}
		b = plain
	}
	m.stats.rtcpReceived.Add(1)
	if m.video != nil {
		m.onVideoRTCP(b)
	}
	return true
}

// rtcpReadLoop reads the RTCP port when RTCP is not multiplexed; an
// accepted packet's source becomes where our reports go.
func (m *sockMedia) rtcpReadLoop() {
	defer m.wg.Done()
	buf := make([]byte, 1600)
	clear := make([]byte, 1600)
	for {
		n, from, err := m.rtcp.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		b := buf[:n]
		if len(b) < 8 || b[0]>>6 != 2 || !isRTCP(b) {
			continue
		}
		if m.acceptRTCP(b, clear, from) && !sameAddr(m.rtcpRemote.Load(), from) {
			m.rtcpRemote.Store(&from)
		}
	}
}

// rtcpAddrOf is where the peer's RTCP goes without mux: a=rtcp's port,
// else the RTP port + 1 (RFC 3605).
func rtcpAddrOf(p sdpMedia, rtpAddr netip.AddrPort) netip.AddrPort {
	port := rtpAddr.Port() + 1
	if p.rtcpPort > 0 && p.rtcpPort < 65536 {
		port = uint16(p.rtcpPort)
	}
	return netip.AddrPortFrom(rtpAddr.Addr(), port)
}
