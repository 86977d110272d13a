package sipmedia

import (
	"errors"
	"io"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// Video across the trunk (ICE back-end): a video call offers VP8 and
// H.264 (video_codec.go) next to the audio, bundled on the one ICE
// transport, and a peer's audio+video offer is answered with the first
// of those it has. The peer's video goes to the room unchanged
// (an UpTrack) and the browser's comes back the same way (a DownTrack
// that rewrites sequence numbers and timestamps across layer switches).
// Keyframe requests travel both ways: a browser's PLI for the peer's
// video becomes our PLI (or FIR, if that is all the peer takes) to the
// peer; the peer's PLI or FIR for ours becomes a keyframe request to the
// browser.
//
// A bundled PBX tells its streams apart only by the SSRCs each m-section
// declares (Asterisk has no RTP mid extension): both SDPs keep their
// a=ssrc cname lines when audio and video share the transport
// (toSIP/fromSIP). The socket back-ends carry video too, on a socket
// pair per m-line (sock_video.go).

// vp8PayloadType is the payload type we offer VP8 with.
const vp8PayloadType = 96

// videoCapability is c with the feedback a PBX relays (NACK, PLI, FIR).
func videoCapability(c VideoCodec) webrtc.RTPCodecCapability {
	return webrtc.RTPCodecCapability{MimeType: c.Mime, ClockRate: 90000, SDPFmtpLine: c.Fmtp,
		RTCPFeedback: []webrtc.RTCPFeedback{{Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "ccm", Parameter: "fir"}}}
}

// Video is a back-end that carries video too.
type Video interface {
	// VideoMime is the negotiated video codec ("video/VP8"); ok is false
	// when the call has no video.
	VideoMime() (mime string, ok bool)
	// StartVideo calls onRTP for every video packet from the peer until
	// the media closes; the packet is valid only during the call. It
	// comes before Session.Start.
	StartVideo(onRTP func(*rtp.Packet))
	// WriteRTP sends one video packet of ours.
	WriteRTP(p *rtp.Packet) error
	// RequestKeyframe asks the peer for a keyframe (PLI, or FIR).
	RequestKeyframe()
	// OnKeyframeRequest sets what runs when the peer asks for a keyframe
	// of ours.
	OnKeyframeRequest(f func())
}

// pionVideo is the ICE back-end's video state.
type pionVideo struct {
	want     bool                        // offer video / take a peer's video offer
	order    []VideoCodec                // what we offer, preferred first (nil: the table's order)
	codecs   []VideoCodec                // what the media engine has: order offering, the chosen one answering
	track    *webrtc.TrackLocalStaticRTP // ours; nil without video
	onRTP    func(*rtp.Packet)           // set by StartVideo before Start
	keyframe atomic.Pointer[func()]
	peerSSRC atomic.Uint32 // the peer's video SSRC, once it sends
	ourSSRC  uint32        // ours, once negotiated
	fir      bool          // the peer takes FIR but not PLI
	firSeq   atomic.Uint32
	mime     string // negotiated; "" without video. Set before the leg is built.
	// asked and requested count keyframe requests: the peer's for ours,
	// and ours to the peer.
	asked, requested atomic.Uint64
}

// videoCodecsFor sets the codecs to register: every one of ours for an
// offer ("" peerOffer), else the first of ours the peer's offer has (none:
// video is refused).
func (m *pionMedia) videoCodecsFor(peerOffer string) {
	order := m.video.order
	if order == nil {
		order = videoCodecs
	}
	m.video.codecs = order
	if peerOffer == "" {
		return
	}
	m.video.codecs = nil
	if c, ok := pickVideo(parseSDPSection(peerOffer, "video"), order); ok {
		m.video.codecs = []VideoCodec{c}
	}
}

// registerVideo adds the video codecs to the media engine and makes our
// video track, of the first.
func (m *pionMedia) registerVideo(me *webrtc.MediaEngine) error {
	if !m.video.want || len(m.video.codecs) == 0 {
		return nil
	}
	for _, c := range m.video.codecs {
		if err := me.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: videoCapability(c),
			PayloadType: webrtc.PayloadType(c.PT)}, webrtc.RTPCodecTypeVideo); err != nil {
			return err
		}
	}
	t, err := webrtc.NewTrackLocalStaticRTP(videoCapability(m.video.codecs[0]), "video", "xphone")
	if err != nil {
		return err
	}
	m.video.track = t
	return nil
}

// followAnswerCodec makes our video track carry the codec the peer's
// answer kept, before the answer binds it (pion binds a track only to a
// codec of its own type).
func (m *pionMedia) followAnswerCodec(answer string) error {
	if m.video.track == nil {
		return nil
	}
	c, ok := pickAnswerVideo(parseSDPSection(answer, "video"), m.video.codecs)
	if !ok || strings.EqualFold(c.Mime, m.video.track.Codec().MimeType) {
		return nil
	}
	c.Fmtp = m.video.codecs[slices.IndexFunc(m.video.codecs, func(o VideoCodec) bool { return o.Mime == c.Mime })].Fmtp
	t, err := webrtc.NewTrackLocalStaticRTP(videoCapability(c), "video", "xphone")
	if err != nil {
		return err
	}
	for _, s := range m.pc.GetSenders() {
		if s.Track() == m.video.track {
			if err := s.ReplaceTrack(t); err != nil {
				return err
			}
		}
	}
	m.video.track = t
	return nil
}

// addVideoSender adds our video to an offer (a new transceiver) or an
// answer (the peer's video transceiver), and reads its RTCP for keyframe
// requests.
func (m *pionMedia) addVideoSender(offer bool) error {
	if m.video.track == nil {
		return nil
	}
	var sender *webrtc.RTPSender
	if offer {
		tr, err := m.pc.AddTransceiverFromTrack(m.video.track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv})
		if err != nil {
			return err
		}
		sender = tr.Sender()
	} else {
		s, err := m.pc.AddTrack(m.video.track)
		if err != nil {
			return err
		}
		sender = s
	}
	m.wg.Add(1)
	go m.readVideoRTCP(sender)
	return nil
}

// readVideoRTCP turns the peer's PLI and FIR for our video into keyframe
// requests until the connection closes.
func (m *pionMedia) readVideoRTCP(sender *webrtc.RTPSender) {
	defer m.wg.Done()
	buf := make([]byte, 1500)
	for {
		n, _, err := sender.Read(buf)
		if err != nil {
			if errors.Is(err, io.ErrShortBuffer) {
				continue
			}
			return
		}
		m.rrIn.Add(1)
		if wantsKeyframe(buf[:n]) {
			m.video.asked.Add(1)
			if f := m.video.keyframe.Load(); f != nil {
				(*f)()
			}
		}
	}
}

// wantsKeyframe reports whether a compound RTCP packet holds a PLI or FIR.
func wantsKeyframe(b []byte) bool {
	pkts, err := rtcp.Unmarshal(b)
	if err != nil {
		return false
	}
	for _, p := range pkts {
		switch p.(type) {
		case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
			return true
		}
	}
	return false
}

// dropVideo takes our video out of an offer the peer answered without
// video (an audio-only peer refuses it with port 0): pion would otherwise
// fail the whole answer for want of a video codec to send with.
func (m *pionMedia) dropVideo() {
	if m.video.track == nil {
		return
	}
	for _, s := range m.pc.GetSenders() {
		if s.Track() == m.video.track {
			_ = m.pc.RemoveTrack(s)
		}
	}
}

// noteVideo records the video the negotiation kept (none: rejected, or
// not offered), and whether the peer takes PLI or only FIR. peerSDP is
// the peer's offer or answer.
func (m *pionMedia) noteVideo(peerSDP string) {
	if m.video.track == nil {
		return
	}
	for _, tr := range m.pc.GetTransceivers() {
		if tr.Kind() != webrtc.RTPCodecTypeVideo || tr.Sender() == nil || tr.Sender().Track() != m.video.track {
			continue
		}
		if tr.Direction() == webrtc.RTPTransceiverDirectionInactive {
			return
		}
		p := tr.Sender().GetParameters()
		if len(p.Codecs) == 0 || len(p.Encodings) == 0 {
			return
		}
		m.video.mime, m.video.ourSSRC = m.video.track.Codec().MimeType, uint32(p.Encodings[0].SSRC)
	}
	pli, fir := videoFeedback(peerSDP)
	m.video.fir = fir && !pli
}

// VideoMime implements Video.
func (m *pionMedia) VideoMime() (string, bool) { return m.video.mime, m.video.mime != "" }

// StartVideo implements Video; it must come before Start.
func (m *pionMedia) StartVideo(onRTP func(*rtp.Packet)) { m.video.onRTP = onRTP }

// WriteRTP implements Video.
func (m *pionMedia) WriteRTP(p *rtp.Packet) error {
	if m.video.track == nil {
		return errNotBound
	}
	return m.video.track.WriteRTP(p)
}

// RequestKeyframe implements Video: PLI, or FIR for a peer that
// negotiated only that (Asterisk answers "ccm fir" and "nack").
func (m *pionMedia) RequestKeyframe() {
	ssrc := m.video.peerSSRC.Load()
	if ssrc == 0 || m.pc == nil {
		return
	}
	seq := uint8(m.video.firSeq.Add(1))
	if m.pc.WriteRTCP(keyframeRequest(m.video.ourSSRC, ssrc, m.video.fir, seq)) == nil {
		m.video.requested.Add(1)
	}
}

// keyframeRequest is a PLI (or FIR number seq) from our SSRC for the
// peer's, as a compound packet behind a receiver report (RFC 3550 §6.1):
// Asterisk drops any RTCP packet that does not start with SR or RR, so a
// bare PLI or FIR never reaches it.
func keyframeRequest(ours, peer uint32, fir bool, seq uint8) []rtcp.Packet {
	var p rtcp.Packet = &rtcp.PictureLossIndication{SenderSSRC: ours, MediaSSRC: peer}
	if fir {
		p = &rtcp.FullIntraRequest{SenderSSRC: ours, MediaSSRC: peer,
			FIR: []rtcp.FIREntry{{SSRC: peer, SequenceNumber: seq}}}
	}
	rr := &rtcp.ReceiverReport{SSRC: ours, Reports: []rtcp.ReceptionReport{{SSRC: peer}}}
	return []rtcp.Packet{rr, p}
}

// OnKeyframeRequest implements Video.
func (m *pionMedia) OnKeyframeRequest(f func()) { m.video.keyframe.Store(&f) }
