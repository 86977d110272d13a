package sfu

import (
	"github.com/pion/webrtc/v4"
)

// screenState is a browser leg's shared-screen track: a video m-line the
// server only receives on, added the first time the party shares and
// reused afterwards (the browser swaps the track on its sender).
type screenState struct {
	up   *UpTrack
	recv *webrtc.RTPReceiver
}

// ScreenTrack implements ScreenLeg.
func (l *WebRTCLeg) ScreenTrack() (*UpTrack, error) {
	l.screenMu.Lock()
	defer l.screenMu.Unlock()
	l.mu.Lock()
	up := l.screen.up
	l.mu.Unlock()
	if up != nil {
		return up, nil
	}
	tr, err := l.pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo,
		webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly})
	if err != nil {
		return nil, wrapf(err, "screen transceiver")
	}
	up = NewUpTrack(l.id+"-screen", Video, vp8Codec.MimeType)
	l.mu.Lock()
	l.screen = screenState{up: up, recv: tr.Receiver()}
	l.mu.Unlock()
	if err := l.renegotiate(); err != nil {
		return nil, err
	}
	return up, nil
}

// screenFor returns the screen track when recv is the screen's receiver.
func (l *WebRTCLeg) screenFor(recv *webrtc.RTPReceiver) *UpTrack {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.screen.recv != nil && l.screen.recv == recv {
		return l.screen.up
	}
	return nil
}
