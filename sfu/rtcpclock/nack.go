package rtcpclock

// maxNackTries is how often one lost packet is asked for: enough to ride
// out a lost NACK or retransmission, not so often that a packet the sender
// no longer has is asked for until it leaves the window.
const maxNackTries = 3
