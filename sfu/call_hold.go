package sfu

// Hold puts the call on hold for leg (on) or resumes it. The held party
// hears music on hold; no audio or video flows either way until resumed.
// Both parties may hold at once.
func (c *Calls) Hold(callID string, leg Leg, on bool) error {
	cl := c.lookup(callID)
	if cl == nil {
		return ErrNotInCall
	}
	return cl.do(func() error {
		if !cl.has(leg) {
			return ErrNotInCall
		}
		cl.room.SetHold(leg, on)
		cl.log.Info("hold", "leg", leg.ID(), "on", on)
		cl.tellHold()
		return nil
	})
}

// tellHold tells every party how the call's hold state looks from there.
func (cl *call) tellHold() {
	for _, l := range cl.legs {
		p := cl.parties[l]
		if ho, ok := p.obs.(HoldObserver); ok {
			local, remote := cl.room.HoldState(l)
			ho.HoldState(p.callID, local, remote)
		}
	}
}
