package siptrunk

import (
	"errors"
	"io"
	"sync"
	"sync/atomic"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// Video across the trunk (ICE back-end only): a video call to the trunk
// offers VP8 next to the audio; the peer's VP8 is passed through to the
// room unchanged (an UpTrack) and the browser's comes back the same way
// (a DownTrack rewriting sequence numbers and timestamps across layer
// switches). Keyframe requests travel both ways: a browser's PLI for the
// peer's video becomes our PLI to the peer, the peer's PLI or FIR for ours
// a keyframe request to the browser. The socket back-ends and inbound
// video offers stay audio-only (their video m-line is rejected, port 0).

// vp8PayloadType is the payload type we offer VP8 with.
const vp8PayloadType = 96

// videoMedia is a back-end that carries video too.
type videoMedia interface {
	// VideoMime is the negotiated video codec ("video/VP8"); ok is false
	// when the call has no video.
	VideoMime() (mime string, ok bool)
	// StartVideo calls onRTP for every video packet from the peer until
	// the media closes; the packet is valid only during the call.
	StartVideo(onRTP func(*rtp.Packet))
	// WriteVideo sends one video packet of ours.
	WriteRTP(p *rtp.Packet) error
	// RequestKeyframe asks the peer for a keyframe (PLI).
	RequestKeyframe()
	// OnKeyframeRequest is called when the peer asks for a keyframe of ours.
	OnKeyframeRequest(f func())
}

// pionVideo is the ICE back-end's video state.
type pionVideo struct {
	want     bool // the call was dialled with video
	track    *webrtc.TrackLocalStaticRTP
	onRTP    chan func(*rtp.Packet)
	keyframe atomic.Pointer[func()]
	ssrc     atomic.Uint32 // the peer's video SSRC, once it sends
	mu       sync.Mutex
	mime     string // negotiated, "" without video
}

// vp8Capability is VP8 with the feedback a PBX relays (NACK, PLI, FIR).
var vp8Capability = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000,
	RTCPFeedback: []webrtc.RTCPFeedback{{Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "ccm", Parameter: "fir"}}}

// registerVideo adds VP8 to the media engine and makes our video track.
func (m *pionMedia) registerVideo(me *webrtc.MediaEngine) error {
	if !m.video.want {
		return nil
	}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: vp8Capability, PayloadType: vp8PayloadType},
		webrtc.RTPCodecTypeVideo); err != nil {
		return err
	}
	t, err := webrtc.NewTrackLocalStaticRTP(vp8Capability, "video", "xphone")
	if err != nil {
		return err
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
	var err error
	if offer {
		var tr *webrtc.RTPTransceiver
		tr, err = m.pc.AddTransceiverFromTrack(m.video.track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv})
		if err == nil {
			sender = tr.Sender()
		}
	} else {
		sender, err = m.pc.AddTrack(m.video.track)
	}
	if err != nil {
		return err
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
		pkts, err := rtcp.Unmarshal(buf[:n])
		if err != nil {
			continue
		}
		for _, p := range pkts {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				if f := m.video.keyframe.Load(); f != nil {
					(*f)()
				}
			}
		}
	}
}

// noteVideo records the video codec the answer kept (none: port 0).
func (m *pionMedia) noteVideo() {
	for _, tr := range m.pc.GetTransceivers() {
		if tr.Kind() != webrtc.RTPCodecTypeVideo || tr.Sender() == nil || tr.Sender().Track() == nil {
			continue
		}
		for _, c := range tr.Sender().GetParameters().Codecs {
			m.video.mu.Lock()
			m.video.mime = c.MimeType
			m.video.mu.Unlock()
			return
		}
	}
}

// VideoMime implements videoMedia.
func (m *pionMedia) VideoMime() (string, bool) {
	m.video.mu.Lock()
	defer m.video.mu.Unlock()
	return m.video.mime, m.video.mime != ""
}

// StartVideo implements videoMedia: the read loop starts with the track.
func (m *pionMedia) StartVideo(onRTP func(*rtp.Packet)) {
	select {
	case m.video.onRTP <- onRTP:
	default:
	}
}

// WriteRTP implements videoMedia.
func (m *pionMedia) WriteRTP(p *rtp.Packet) error {
	if m.video.track == nil {
		return errNotBound
	}
	return m.video.track.WriteRTP(p)
}

// RequestKeyframe implements videoMedia.
func (m *pionMedia) RequestKeyframe() {
	if ssrc := m.video.ssrc.Load(); ssrc != 0 && m.pc != nil {
		_ = m.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}})
	}
}

// OnKeyframeRequest implements videoMedia.
func (m *pionMedia) OnKeyframeRequest(f func()) { m.video.keyframe.Store(&f) }

// onVideoTrack runs the read loop of the peer's video.
func (m *pionMedia) onVideoTrack(remote *webrtc.TrackRemote) {
	m.video.ssrc.Store(uint32(remote.SSRC()))
	var f func(*rtp.Packet)
	select {
	case f = <-m.video.onRTP:
	case <-m.failed:
		return
	}
	for {
		p, _, err := remote.ReadRTP()
		if err != nil {
			return
		}
		f(p)
	}
}
