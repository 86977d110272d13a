package sfu

// passedOnReasons are end reasons that describe the path of the call, not
// what a party did, so the remaining party is told them instead of a plain
// hang-up (the trunk carrying the other side was removed, a PBX took the
// call over in a transfer it carried out itself, the other party's
// connection was lost, the server is restarting).
var passedOnReasons = map[Reason]bool{ReasonTrunkUnavailable: true, ReasonTransferred: true,
	ReasonConnectionLost: true, ReasonServerRestart: true}

// remainingReason is the reason the remaining legs of a call are hung up
// with after one of legs ended.
func remainingReason(legs []Leg) Reason {
	for _, l := range legs {
		select {
		case <-l.Done():
			if r := l.EndReason(); passedOnReasons[r] {
				return r
			}
		default:
		}
	}
	return ReasonHangup
}
