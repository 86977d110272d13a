package sfu

// ScreenObserver hears that the other party of a 1:1 call shares (on) or
// stopped sharing their screen. In a 1:1 call the screen replaces the
// sharer's camera on the video the call already has, so only the news
// travels: the viewer's UI names and lays out the picture accordingly.
type ScreenObserver interface {
	PeerScreen(callID string, on bool)
}

// ShareScreen tells the other party of 1:1 call callID that leg's party
// shares their screen (on) or stopped.
func (c *Calls) ShareScreen(callID string, leg Leg, on bool) error {
	cl := c.lookup(callID)
	if cl == nil {
		return ErrNotInCall
	}
	return cl.do(func() error {
		if !cl.has(leg) {
			return ErrNotInCall
		}
		for _, l := range cl.legs {
			if l == leg {
				continue
			}
			p := cl.parties[l]
			if so, ok := p.obs.(ScreenObserver); ok {
				so.PeerScreen(p.callID, on)
			}
		}
		cl.log.Info("screen share", "leg", leg.ID(), "ext", leg.Identity().Number, "on", on)
		return nil
	})
}

// PeerScreen passes the news on under the call id the observer knows.
func (r renamed) PeerScreen(_ string, on bool) {
	if so, ok := r.CallObserver.(ScreenObserver); ok {
		so.PeerScreen(r.id, on)
	}
}
