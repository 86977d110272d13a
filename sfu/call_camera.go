package sfu

// CameraObserver hears that the other party of a 1:1 call turned its
// camera off or on again (it still sends video: black frames, or none), so
// its UI can show an avatar and say so instead of a black picture.
type CameraObserver interface {
	PeerCamera(callID string, on bool)
}

// SetCamera records whether from's camera is on in call callID and tells
// the other party. Conferences refuse it (ErrInConference).
func (c *Calls) SetCamera(callID string, from Leg, on bool) error {
	cl := c.lookup(callID)
	if cl == nil {
		return ErrNotInCall
	}
	return cl.do(func() error {
		if !cl.has(from) {
			return ErrNotInCall
		}
		if on {
			delete(cl.cameraOff, from)
		} else {
			cl.cameraOff[from] = true
		}
		cl.tellCamera(cl.other(from), on)
		return nil
	})
}

// tellCamera tells to's party whether the other party's camera is on.
func (cl *call) tellCamera(to Leg, on bool) {
	if to == nil {
		return
	}
	p := cl.parties[to]
	if o, ok := p.obs.(CameraObserver); ok {
		o.PeerCamera(p.callID, on)
	}
}

// tellCameraOf tells newcomer, just joined, when the party it talks to has
// its camera off.
func (cl *call) tellCameraOf(newcomer Leg) {
	if other := cl.other(newcomer); other != nil && cl.cameraOff[other] {
		cl.tellCamera(newcomer, false)
	}
}
