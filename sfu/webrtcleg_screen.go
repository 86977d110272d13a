package sfu

// ScreenTrack implements ScreenLeg: the shared-screen track is a video
// section the server only receives on, added to the leg the first time the
// party shares and reused afterwards (the browser swaps the track on its
// sender).
func (l *WebRTCLeg) ScreenTrack() (*UpTrack, error) {
	l.screenMu.Lock()
	defer l.screenMu.Unlock()
	if up := l.screenUp(); up != nil {
		return up, nil
	}
	s := l.newSection(Video)
	s.recv = true
	s.screen = NewUpTrack(l.id+"-screen", Video, s.mime())
	s.screen.batch = l.api.batch
	l.mu.Lock()
	l.sections = append(l.sections, s)
	l.mu.Unlock()
	if err := l.renegotiate(); err != nil {
		return nil, err
	}
	return s.screen, nil
}

// screenUp is the screen track, nil before the first share.
func (l *WebRTCLeg) screenUp() *UpTrack {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.sections {
		if s.screen != nil {
			return s.screen
		}
	}
	return nil
}
