package sfu

import "github.com/pion/webrtc/v4"

// ICE restart and resuming a leg's signalling after the tab's socket came
// back (docs/signaling.md, "Reconnecting").

// RestartICE sends the browser a server offer with new ICE credentials, so
// both sides look for a new media path (the browser moved to another
// network). A renegotiation already waiting for its answer is followed by
// the restart offer once answered.
func (l *WebRTCLeg) RestartICE() error {
	l.mu.Lock()
	l.reneg.iceRestart = true
	l.mu.Unlock()
	return l.renegotiate()
}

// offerOptions are the next server offer's options; an ICE restart asked
// for is used up by it.
func (l *WebRTCLeg) offerOptions() *webrtc.OfferOptions {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.reneg.iceRestart {
		return nil
	}
	l.reneg.iceRestart = false
	return &webrtc.OfferOptions{ICERestart: true}
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

// ICEState is the state of the leg's ICE transport as pion sees it.
func (l *WebRTCLeg) ICEState() webrtc.ICEConnectionState { return l.pc.ICEConnectionState() }
