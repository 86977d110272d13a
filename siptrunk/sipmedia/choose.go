package sipmedia

import (
	"log/slog"
	"net"
)

// Config is what a trunk tells the media back-ends: its media IP, its
// codecs in preference order and its media and ICE settings (as in
// configs.Trunk).
type Config struct {
	IP     net.IP
	Codecs []string
	Media  string // dtls-srtp (default), sdes, rtp
	// VideoCodec is the only video codec (MimeVP8, MimeH264) to offer
	// and take, the browser's on an outbound call; "": VP8 and H.264,
	// VP8 first.
	VideoCodec string
	ICE        string // auto (default), on, off
	Log        *slog.Logger
}

// New chooses a call's media back-end from the trunk's config and, for
// inbound calls, the peer's offer ("" for our own offers):
//
//   - media sdes / rtp: SDES-SRTP or plain RTP on a UDP socket;
//   - dtls-srtp with ice on: pion's ICE + DTLS-SRTP (Asterisk webrtc=yes);
//   - dtls-srtp with ice off: DTLS-SRTP on a UDP socket, no ICE;
//   - ice auto: ICE when we offer or the offer has ICE credentials, DTLS
//     without ICE when the offer has a fingerprint but no ICE.
//
// video asks the back-end to offer or accept video as well (VP8, H.264).
func New(cfg Config, offer string, video bool) (Session, error) {
	switch cfg.Media {
	case "sdes":
		return newSockSession(cfg, sockSDES, video)
	case "rtp":
		return newSockSession(cfg, sockRTP, video)
	}
	noICE := cfg.ICE == "off" || (cfg.ICE != "on" && offer != "" && !hasICE(offer) && hasFingerprint(offer))
	if noICE {
		return newSockSession(cfg, sockDTLS, video)
	}
	p := newPionMedia(cfg.IP, cfg.Codecs, video)
	p.video.order = videoCodecsFor(cfg.VideoCodec)
	return p, nil
}

// newSockSession is a socket back-end of kind that offers or takes
// video when video is set.
func newSockSession(cfg Config, kind sockKind, video bool) (Session, error) {
	m, err := newSockMedia(cfg.IP, cfg.Codecs, kind, cfg.Log)
	if err != nil {
		return nil, err
	}
	m.wantVideo, m.videoOrder = video, videoCodecsFor(cfg.VideoCodec)
	return m, nil
}
