package sfu

import "github.com/pion/webrtc/v4"

// Liveness of a browser leg: the monitor (liveness.go) reads these
// counters, and the tab tells it when the leg's signalling comes and goes.

// mediaCount counts RTP packets of the leg's published tracks and the RTCP
// its read loops got: both move every few hundred milliseconds from a live
// browser (Opus DTX still sends every 400 ms, receivers report).
func (l *WebRTCLeg) mediaCount() uint64 {
	n := l.rtcpIn.Load()
	for _, u := range l.ups {
		n += u.Packets()
	}
	return n
}

// consentCount counts packets and ICE consent answers (RFC 7675) on the
// selected candidate pair: a browser whose media is silent still answers
// the server's connectivity checks.
func (l *WebRTCLeg) consentCount() uint64 {
	sctp := l.pc.SCTP()
	if sctp == nil || sctp.Transport() == nil || sctp.Transport().ICETransport() == nil {
		return 0
	}
	st, ok := sctp.Transport().ICETransport().GetSelectedCandidatePairStats()
	if !ok {
		return 0
	}
	return uint64(st.PacketsReceived) + st.ResponsesReceived
}

// SetSignalling tells the leg whether its party's signalling (the tab's
// WebSocket) is attached. While it is not, the leg lives as long as its
// media does, at most the grace period.
func (l *WebRTCLeg) SetSignalling(up bool) {
	if l.live != nil {
		l.live.setSignalling(l, up)
	}
}

// logEnd notes why the liveness monitor hangs the leg up.
func (l *WebRTCLeg) logEnd(why string) {
	l.log.Info("party gone: hanging up", "why", why)
}

// failedReason is why a leg whose PeerConnection failed ends: a call that
// had media lost its connection; one that never got media failed to set up.
func (l *WebRTCLeg) failedReason() Reason {
	if l.everConnected.Load() {
		return ReasonConnectionLost
	}
	return ReasonMediaFailed
}

// noteState keeps what the liveness needs from the connection state.
func (l *WebRTCLeg) noteState(state webrtc.PeerConnectionState) {
	if state == webrtc.PeerConnectionStateConnected {
		l.everConnected.Store(true)
	}
}
