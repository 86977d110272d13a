package siptrunk

// newMedia chooses a call's media back-end from the trunk's config and,
// for inbound calls, the peer's offer ("" for our own offers):
//
//   - media sdes / rtp: SDES-SRTP or plain RTP on a UDP socket;
//   - dtls-srtp with ice on: pion's ICE + DTLS-SRTP (Asterisk webrtc=yes);
//   - dtls-srtp with ice off: DTLS-SRTP on a UDP socket, no ICE;
//   - ice auto: ICE when we offer or the offer has ICE credentials, DTLS
//     without ICE when the offer has a fingerprint but no ICE.
func (t *Trunk) newMedia(offer string, video bool) (mediaSession, error) {
	tc := t.cfg.Trunk
	switch tc.Media {
	case "sdes":
		return newSockMedia(t.mediaIP, t.codecs(), sockSDES, t.log)
	case "rtp":
		return newSockMedia(t.mediaIP, t.codecs(), sockRTP, t.log)
	}
	noICE := tc.ICE == "off" || (tc.ICE != "on" && offer != "" && !hasICE(offer) && hasFingerprint(offer))
	if noICE {
		return newSockMedia(t.mediaIP, t.codecs(), sockDTLS, t.log)
	}
	return newPionMedia(t.mediaIP, t.codecs(), video), nil
}
