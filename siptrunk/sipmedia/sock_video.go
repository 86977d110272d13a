package sipmedia

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pion/sdp/v3"
)

// Video on the socket back-ends (peers without ICE: Asterisk's
// media_encryption dtls or sdes, plain RTP). Without BUNDLE every m-line
// is a transport of its own, so the video is a second sockMedia: its own
// RTP/RTCP socket pair, its own a=crypto key (SDES) or DTLS association
// (one per m-line, restarted on re-INVITE like the audio's), its own
// latching and RTCP reports. The audio stream owns it (vid) and starts
// and closes it. What reaches the leg is the same Video interface the ICE
// back-end offers: VP8 or H.264 (video_codec.go) passed through unchanged both ways, keyframe
// requests (PLI, FIR) relayed both ways. A failure of the video stream
// never fails the call: the audio goes on.

// sockVideo is a video stream's own state.
type sockVideo struct {
	pt uint8 // codec's payload type as negotiated
	// order is the codecs we offer and take, preferred first; codec is
	// the one negotiated (Mime "" before).
	order    []VideoCodec
	codec    VideoCodec
	fir      bool // the peer takes FIR but not PLI
	ready    bool // negotiated (Answer or Accept kept it)
	firSeq   atomic.Uint32
	peerSSRC atomic.Uint32
	// paused: the peer takes none of our video (its video section is
	// sendonly or inactive, e.g. it holds the call); WriteRTP sends nothing.
	paused   atomic.Bool
	keyframe atomic.Pointer[func()]
	// asked and requested count keyframe requests: the peer's for ours,
	// and ours to the peer.
	asked, requested atomic.Uint64
	omu              sync.Mutex // one writer at a time: owns out
	out              []byte     // WriteRTP's packet
}

// codecs is what the stream offers and takes, preferred first.
func (v *sockVideo) codecs() []VideoCodec {
	if v.order == nil {
		return videoCodecs
	}
	return v.order
}

// newVideoStream binds the video stream's socket pair, of m's kind.
func (m *sockMedia) newVideoStream() (*sockMedia, error) {
	v, err := newSockMedia(m.ip, nil, m.kind, m.log.With("stream", "video"))
	if err != nil {
		return nil, err
	}
	v.video = &sockVideo{pt: vp8PayloadType, order: m.videoOrder, out: make([]byte, 0, 1600)}
	return v, nil
}

// videoSection is the stream's m=video section: the negotiated codec, or
// every codec of the table in an offer, each with the keyframe requests
// we relay (no NACK: nothing is resent toward a SIP peer).
func (m *sockMedia) videoSection(proto string, mux bool, attrs []sdp.Attribute) *sdp.MediaDescription {
	codecs := m.video.codecs()
	if m.video.codec.Mime != "" {
		codecs = []VideoCodec{m.video.codec}
	}
	md := &sdp.MediaDescription{MediaName: sdp.MediaName{Media: "video", Port: sdp.RangedPort{Value: m.port()},
		Protos: strings.Split(proto, "/")}}
	for _, c := range codecs {
		pt := strconv.Itoa(int(c.PT))
		md.MediaName.Formats = append(md.MediaName.Formats, pt)
		md.WithValueAttribute("rtpmap", c.rtpmapValue())
		if c.Fmtp != "" {
			md.WithValueAttribute("fmtp", pt+" "+c.Fmtp)
		}
		md.WithValueAttribute("rtcp-fb", pt+" nack pli").WithValueAttribute("rtcp-fb", pt+" ccm fir")
	}
	md.WithPropertyAttribute(SendRecv).
		WithValueAttribute("rtcp", strconv.Itoa(m.port()+1))
	if mux {
		md.WithPropertyAttribute("rtcp-mux")
	}
	md.Attributes = append(md.Attributes, attrs...)
	return md
}

// withVideoSection puts md in place of s's first video section, or
// after the others when s has none.
func withVideoSection(s string, md *sdp.MediaDescription) string {
	d, ok := parse(s)
	if !ok {
		return s
	}
	i := slices.IndexFunc(d.MediaDescriptions, func(x *sdp.MediaDescription) bool { return x.MediaName.Media == "video" })
	if i < 0 {
		d.MediaDescriptions = append(d.MediaDescriptions, md)
	} else {
		d.MediaDescriptions[i] = md
	}
	return marshal(d, s)
}

// offerVideo adds a video stream and its section to our offer.
func (m *sockMedia) offerVideo() error {
	v, err := m.newVideoStream()
	if err != nil {
		return err
	}
	attrs, err := v.offerSecurity()
	if err != nil {
		_ = v.closeSockets()
		return err
	}
	m.vid = v
	m.local = withVideoSection(m.local, v.videoSection(protos[m.kind][0], true, attrs))
	return nil
}

// answerVideo answers the peer's video offer with a video stream of ours
// in place of the refused section rejectOthers left. A video section we
// cannot take stays refused; the call goes on with audio.
func (m *sockMedia) answerVideo(offer string) {
	v, err := m.newVideoStream()
	if err != nil {
		m.log.Warn("video refused: no socket", "err", err)
		return
	}
	attrs, err := v.takeVideo(offer)
	if err != nil {
		_ = v.closeSockets()
		m.log.Info("peer's video refused", "err", err)
		return
	}
	v.video.ready = true
	m.vid = v
	m.local = withVideoSection(m.local, v.videoSection(v.canonicalProto(v.peer.proto), v.peer.rtcpMux, attrs))
}

// takeVideo reads the offer's video section into the stream: transport,
// the codec's payload type and feedback, keys, the peer's address.
func (m *sockMedia) takeVideo(offer string) ([]sdp.Attribute, error) {
	m.peer = parseSDPSection(offer, "video")
	if !m.acceptsProto(m.peer.proto) {
		return nil, fmt.Errorf("%w: video's %q does not match the trunk's media", ErrSDP, m.peer.proto)
	}
	if err := m.takeVideoCodec(offer, pickVideo); err != nil {
		return nil, err
	}
	attrs, err := m.answerSecurity()
	if err != nil {
		return nil, err
	}
	return attrs, m.setRemote()
}

// takeVideoCodec notes the first codec of ours that s's video section
// has (as pick finds it in an offer or an answer), its payload type and
// the keyframe feedback the peer takes.
func (m *sockMedia) takeVideoCodec(s string, pick func(sdpMedia, []VideoCodec) (VideoCodec, bool)) error {
	c, ok := pick(m.peer, m.video.codecs())
	if !ok {
		return fmt.Errorf("%w: no VP8 or H.264 (packetization mode 1, baseline) in the video section", ErrSDP)
	}
	pli, fir := videoFeedback(s)
	m.video.codec, m.video.pt, m.video.fir = c, c.PT, fir && !pli
	m.setPaused(m.peer.direction)
	return nil
}

// setPaused pauses our video while the peer's video direction (of its
// latest offer or answer) says it takes none. Resumed, the browser is
// asked for a keyframe: the peer's decoder starts again from one.
func (m *sockMedia) setPaused(peerDir string) {
	paused := peerDir == SendOnly || peerDir == Inactive
	if m.video.paused.Swap(paused) && !paused {
		m.video.askKeyframe()
	}
}

// askKeyframe asks our video's sender (the browser) for a keyframe.
func (v *sockVideo) askKeyframe() {
	if f := v.keyframe.Load(); f != nil {
		(*f)()
	}
}

// acceptVideo applies the answer's video section to our offered stream;
// a refused or unusable one closes the stream and refuses the video in
// our SDP too, so later re-offers do not offer it again.
func (m *sockMedia) acceptVideo(answer string) {
	v := m.vid
	err := v.acceptVideoSection(answer)
	if err == nil {
		v.video.ready = true
		if m.kind == sockDTLS {
			m.local = replaceAttr(m.local, "setup", "actpass", dtlsRole(v.peer.setup))
		}
		return
	}
	m.log.Info("no video in the call", "err", err)
	_ = v.closeSockets()
	m.vid = nil
	m.local = withVideoSection(m.local, &sdp.MediaDescription{MediaName: sdp.MediaName{Media: "video",
		Port: sdp.RangedPort{Value: 0}, Protos: strings.Split(protos[m.kind][0], "/"), Formats: []string{strconv.Itoa(vp8PayloadType)}}})
}

// acceptVideoSection keys the stream from the answer's video section.
func (m *sockMedia) acceptVideoSection(answer string) error {
	m.peer = parseSDPSection(answer, "video")
	if m.peer.port == 0 {
		return fmt.Errorf("%w: video refused", ErrSDP)
	}
	if !m.acceptsProto(m.peer.proto) {
		return fmt.Errorf("%w: video answer's %q does not match our offer", ErrSDP, m.peer.proto)
	}
	if err := m.takeVideoCodec(answer, pickAnswerVideo); err != nil {
		return err
	}
	switch m.kind {
	case sockDTLS:
		if m.peer.fingerprint == "" {
			return fmt.Errorf("%w: DTLS video answer without fingerprint", ErrSDP)
		}
	case sockSDES:
		if err := m.acceptSDES(); err != nil {
			return err
		}
	}
	return m.setRemote()
}

// dtlsRole is the a=setup we keep after the peer's answer said setup.
func dtlsRole(setup string) string {
	if dtlsClient(setup) {
		return "active"
	}
	return "passive"
}

// checkVideoUpdate reads a re-offer's video section for the running
// video stream and refuses what we do not follow (ErrUpdate): video
// dropped or refused, the codec dropped or renumbered, another transport, a new DTLS
// fingerprint (a restart with the same one is answered by the stream's
// read loop, as for audio).
func (m *sockMedia) checkVideoUpdate(offer string) (sdpMedia, error) {
	p := parseSDPSection(offer, "video")
	if p.port == 0 {
		return p, fmt.Errorf("%w: re-offer drops the video", ErrUpdate)
	}
	if !m.acceptsProto(p.proto) {
		return p, fmt.Errorf("%w: video re-offer's %q is not the call's transport", ErrUpdate, p.proto)
	}
	if c, ok := pickAnswerVideo(p, []VideoCodec{m.video.codec}); !ok || c.PT != m.video.pt {
		return p, fmt.Errorf("%w: video re-offer drops or renumbers %s", ErrUpdate, m.video.codec.Encoding)
	}
	if m.kind == sockDTLS && !strings.EqualFold(p.fingerprint, m.peer.fingerprint) {
		return p, fmt.Errorf("%w: new DTLS fingerprint on the video", ErrUpdate)
	}
	return p, nil
}

// updateVideo applies a checked video re-offer: a new SDES key (our
// answer's crypto line changes with it when the suite or tag does) and
// a moved address.
func (m *sockMedia) updateVideo(p sdpMedia) error {
	v := m.vid
	if m.kind == sockSDES {
		old := v.sdes.line()
		if err := v.rekeySDES(p); err != nil {
			return err
		}
		if now := v.sdes.line(); now != old {
			m.local = replaceAttr(m.local, "crypto", old, now)
		}
	}
	v.moveRemote(p)
	v.setPaused(p.direction)
	return nil
}
