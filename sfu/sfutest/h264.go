package sfutest

import (
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// H.264 (Options.H264): a peer that offers H.264 and no VP8 (packetization
// mode 1, constrained baseline, as browsers and PBXs send it). Its frames
// are synthetic NAL units shaped like an encoder's: a key frame is a STAP-A
// with SPS and PPS followed by an IDR slice in two FU-A fragments, a delta
// frame one non-IDR slice. Byte 2 of every payload but the STAP-A carries
// VideoMarker, as with VP8.

// H264Fmtp is the fmtp the client offers H.264 with.
const H264Fmtp = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"

// h264PayloadType is the payload type the client offers H.264 with.
const h264PayloadType = 102

var h264Capability = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000, SDPFmtpLine: H264Fmtp,
	RTCPFeedback: []webrtc.RTCPFeedback{{Type: "goog-remb"}, {Type: "transport-cc"}, {Type: "ccm", Parameter: "fir"},
		{Type: "nack"}, {Type: "nack", Parameter: "pli"}}}

// registerH264Only registers Opus and H.264, leaving VP8 out of the offer.
func registerH264Only(m *webrtc.MediaEngine) error {
	opus := webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus,
		ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1",
		RTCPFeedback: []webrtc.RTCPFeedback{{Type: "transport-cc"}}}, PayloadType: 111}
	if err := m.RegisterCodec(opus, webrtc.RTPCodecTypeAudio); err != nil {
		return err
	}
	return m.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: h264Capability, PayloadType: h264PayloadType},
		webrtc.RTPCodecTypeVideo)
}

// addH264Track adds the client's H.264 camera.
func (c *Client) addH264Track() (*webrtc.TrackLocalStaticRTP, error) {
	t, err := webrtc.NewTrackLocalStaticRTP(h264Capability, "video", "sfutest")
	if err != nil {
		return nil, err
	}
	return t, c.addSender(t)
}

// writeH264 sends one frame: a key frame (as frameType decides) or a delta.
// Only the send loop calls it, so h264Seq needs no lock.
func (c *Client) writeH264(ts uint32) {
	mark := byte(c.VideoMarker.Load())
	var payloads [][]byte
	if c.frameType() == 0x00 {
		if c.DropKeyframes.Load() > 0 {
			c.DropKeyframes.Add(-1)
			c.h264Seq += 3 // lost on the way, numbers used
			return
		}
		sps, pps := []byte{0x67, 0x42, 0xe0, 0x1f, 0xda}, []byte{0x68, 0xce, 0x3c, 0x80}
		stap := append([]byte{0x78, 0, byte(len(sps))}, sps...)
		stap = append(append(stap, 0, byte(len(pps))), pps...)
		payloads = [][]byte{stap, {0x7c, 0x85, mark, 0x88, 0x84}, {0x7c, 0x45, mark, 0x21, 0x10}}
	} else {
		payloads = [][]byte{{0x41, 0x9a, mark, 0x02, 0x04}}
	}
	for i, pl := range payloads {
		c.h264Seq++
		p := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: c.h264Seq, Timestamp: ts,
			Marker: i == len(payloads)-1}, Payload: pl}
		_ = c.video.WriteRTP(p)
	}
}

// isH264Key reports whether a received payload starts an H.264 key frame:
// an IDR or SPS unit, alone, in a STAP-A or as an FU-A's first fragment.
func isH264Key(p []byte) bool {
	if len(p) < 2 {
		return false
	}
	switch p[0] & 0x1f {
	case 5, 7:
		return true
	case 24:
		return len(p) > 3 && (p[3]&0x1f == 5 || p[3]&0x1f == 7)
	case 28:
		return p[1]&0x80 != 0 && p[1]&0x1f == 5
	}
	return false
}
