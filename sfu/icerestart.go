package sfu

// ICE restart and resuming a leg's signalling after the tab's socket came
// back (docs/signaling.md, "Reconnecting").

// RestartICE sends the browser a server offer with new ICE credentials, so
// both sides look for a new media path (the browser moved to another
// network). A renegotiation already waiting for its answer is followed by
// the restart offer once answered. DTLS and SRTP carry on: the engine
// accepts checks with the old credentials until the new ones arrive.
func (l *WebRTCLeg) RestartICE() error {
	l.mu.Lock()
	l.reneg.iceRestart = true
	l.mu.Unlock()
	return l.renegotiate()
}

// takeICERestart reports whether the next server offer restarts ICE, and
// uses the request up.
func (l *WebRTCLeg) takeICERestart() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	restart := l.reneg.iceRestart
	l.reneg.iceRestart = false
	return restart
}

// PendingOffer is the server offer still waiting for the browser's answer,
// "" if none: the tab sends it again after a reconnect, since the first
// copy may have been lost with the old socket.
func (l *WebRTCLeg) PendingOffer() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.reneg.pending {
		return ""
	}
	return l.reneg.offer
}
