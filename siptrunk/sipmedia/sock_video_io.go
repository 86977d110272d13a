package sipmedia

import (
	"encoding/binary"
	"errors"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// errOversize: a video packet larger than our packet buffer.
var errOversize = errors.New("sipmedia: video packet too large")

// The socket back-ends' Video: the audio stream answers for the call,
// its video stream (vid) does the work.

// VideoMime implements Video.
func (m *sockMedia) VideoMime() (string, bool) {
	if m.vid == nil || !m.vid.video.ready {
		return "", false
	}
	return m.vid.video.codec.Mime, true
}

// StartVideo implements Video; it must come before Start.
func (m *sockMedia) StartVideo(onRTP func(*rtp.Packet)) { m.onVideo = onRTP }

// videoSink is what the video stream's read loop hands packets to.
func (m *sockMedia) videoSink() func(*rtp.Packet) {
	if m.onVideo != nil {
		return m.onVideo
	}
	return func(*rtp.Packet) {}
}

// OnKeyframeRequest implements Video.
func (m *sockMedia) OnKeyframeRequest(f func()) {
	if m.vid != nil {
		m.vid.video.keyframe.Store(&f)
	}
}

// WriteRTP implements Video: p goes out on our video SSRC with the
// negotiated payload type, its sequence number and timestamp as the
// caller numbered them. No allocation per packet.
func (m *sockMedia) WriteRTP(p *rtp.Packet) error {
	v := m.vid
	if v == nil {
		return errNotBound
	}
	if v.video.paused.Load() {
		return nil // the peer holds the call: it takes no video now
	}
	v.video.omu.Lock()
	defer v.video.omu.Unlock()
	out, err := v.sealVideo(v.video.out, p)
	if err == nil {
		_, err = v.writeRaw(out)
	}
	if err != nil {
		v.stats.sendErrors.Add(1)
		return err
	}
	v.stats.sent.Add(1)
	return nil
}

// sealVideo writes p's header (ours: SSRC, payload type; no extensions,
// CSRCs or padding, which were the browser leg's) and payload into dst,
// protected in the SRTP modes, under wmu like seal.
func (m *sockMedia) sealVideo(dst []byte, p *rtp.Packet) ([]byte, error) {
	m.wmu.Lock()
	defer m.wmu.Unlock()
	var pair *srtpPair
	if m.kind != sockRTP {
		if pair = m.sec.Load(); pair == nil {
			return nil, errNoRemote
		}
	}
	h := &m.whdr
	h.PayloadType, h.Marker = m.video.pt, p.Marker
	h.SequenceNumber, h.Timestamp = p.SequenceNumber, p.Timestamp
	plain := dst
	if pair != nil {
		plain = m.plain
	}
	n, err := h.MarshalTo(plain[:cap(plain)])
	if err != nil || n+len(p.Payload) > cap(plain) {
		return nil, errOversize
	}
	m.txPackets++
	m.txOctets += uint64(len(p.Payload))
	out := append(plain[:n], p.Payload...)
	if pair == nil {
		return out, nil
	}
	return pair.tx.EncryptRTP(dst[:0], out, &m.ehdr)
}

// admitVideo checks a video packet of the peer's: the codec's payload type
// only (anything else is dropped and counted). The first one's SSRC is
// where our keyframe requests go.
func (m *sockMedia) admitVideo(p *rtp.Packet) bool {
	if p.PayloadType != m.video.pt {
		m.stats.rejected.Add(1)
		return false
	}
	if m.video.peerSSRC.Load() != p.SSRC {
		m.video.peerSSRC.Store(p.SSRC)
	}
	return true
}

// RequestKeyframe implements Video: PLI, or FIR for a peer that
// negotiated only that, behind a receiver report (see keyframeRequest).
func (m *sockMedia) RequestKeyframe() {
	v := m.vid
	if v == nil {
		return
	}
	ssrc := v.video.peerSSRC.Load()
	if ssrc == 0 {
		return
	}
	b, err := rtcp.Marshal(keyframeRequest(v.ssrc(), ssrc, v.video.fir, uint8(v.video.firSeq.Add(1))))
	if err != nil {
		return
	}
	if v.sendRTCP(b) == nil {
		v.video.requested.Add(1)
	}
}

// ssrc is the stream's own SSRC.
func (m *sockMedia) ssrc() uint32 {
	m.wmu.Lock()
	defer m.wmu.Unlock()
	return m.whdr.SSRC
}

// sendRTCP protects (SRTCP modes) and sends one compound packet of ours:
// on the RTP port with rtcp-mux, else from our RTCP port to the peer's.
func (m *sockMedia) sendRTCP(plain []byte) error {
	out, err := m.sealRTCP(plain)
	if err != nil {
		return err
	}
	return m.writeRTCP(out)
}

// sealRTCP protects plain under wmu (the SRTP context is shared with
// the RTP writers); plain RTP passes it as it is.
func (m *sockMedia) sealRTCP(plain []byte) ([]byte, error) {
	m.wmu.Lock()
	defer m.wmu.Unlock()
	if m.kind == sockRTP {
		return plain, nil
	}
	pair := m.sec.Load()
	if pair == nil {
		return nil, errNoRemote
	}
	return pair.tx.EncryptRTCP(nil, plain, nil)
}

// onVideoRTCP takes the peer's accepted (decrypted) RTCP on the video
// stream: a PLI or FIR for our video becomes a keyframe request to
// whoever sends it (the browser).
func (m *sockMedia) onVideoRTCP(b []byte) {
	if !wantsKeyframeRaw(b) {
		return
	}
	m.video.asked.Add(1)
	m.video.askKeyframe()
}

// wantsKeyframeRaw reports whether compound RTCP b holds a PLI (PSFB
// FMT 1), a FIR (PSFB FMT 4, RFC 5104) or an RFC 2032 FIR (PT 192),
// walking the packet headers without allocating. It stops at the first
// malformed header or a length running past b.
func wantsKeyframeRaw(b []byte) bool {
	for len(b) >= 4 {
		if b[0]>>6 != 2 {
			return false
		}
		n := (int(binary.BigEndian.Uint16(b[2:4])) + 1) * 4
		if n > len(b) {
			return false
		}
		pt, fmtv := b[1], b[0]&0x1f
		if pt == 192 || (pt == 206 && (fmtv == 1 || fmtv == 4)) {
			return true
		}
		b = b[n:]
	}
	return false
}

// videoStats adds the video stream's counters to s.
func (m *sockMedia) videoStats(s Stats) Stats {
	if v := m.vid; v != nil {
		s.VideoPeerSSRC = v.video.peerSSRC.Load()
		s.KeyframesAsked, s.KeyframesRequested = v.video.asked.Load(), v.video.requested.Load()
		s.VideoRejected, s.VideoDTLSRestarts = v.stats.rejected.Load(), v.restarts.Load()
	}
	return s
}
