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
	ICE    string // auto (default), on, off
	Log    *slog.Logger
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
// video asks the ICE back-end to offer or accept VP8 as well.
func New(cfg Config, offer string, video bool) (Session, error) {
	switch cfg.Media {
	case "sdes":
		return newSockMedia(cfg.IP, cfg.Codecs, sockSDES, cfg.Log)
	case "rtp":
		return newSockMedia(cfg.IP, cfg.Codecs, sockRTP, cfg.Log)
	}
	noICE := cfg.ICE == "off" || (cfg.ICE != "on" && offer != "" && !hasICE(offer) && hasFingerprint(offer))
	if noICE {
		return newSockMedia(cfg.IP, cfg.Codecs, sockDTLS, cfg.Log)
	}
	return newPionMedia(cfg.IP, cfg.Codecs, video), nil
}
