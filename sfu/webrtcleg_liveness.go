package sfu

// Liveness of a browser leg: the monitor (liveness.go) reads these
// counters, and the tab tells it when the leg's signalling comes and goes.

// mediaCount counts RTP packets of the leg's published tracks and the RTCP
// the engine handed it: both move every few hundred milliseconds from a
// live browser (Opus DTX still sends every 400 ms, receivers report).
func (l *WebRTCLeg) mediaCount() uint64 {
	n := l.rtcpIn.Load()
	for _, u := range l.ups {
		n += u.Packets()
	}
	return n
}

// consentCount moves with every valid ICE check the browser sends
// (RFC 7675): the engine is ICE-lite, so a browser whose media is silent
// still proves it is there with its consent checks.
func (l *WebRTCLeg) consentCount() uint64 {
	return uint64(l.peer.LastConsent().UnixNano())
}

// failure reports a leg whose engine peer ended by itself: ICE or the
// DTLS handshake failed or timed out. A call that had media lost its
// connection; one that never got media failed to set up.
func (l *WebRTCLeg) failure() (Reason, bool) {
	select {
	case <-l.peer.Done():
	default:
		return "", false
	}
	if l.peer.Err() == nil {
		return "", false // closed by Hangup
	}
	select {
	case <-l.peer.Ready():
		return ReasonConnectionLost, true
	default:
		return ReasonMediaFailed, true
	}
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
