package sfu

import "errors"

// ErrNotDTMF: a payload is not an RFC 4733 telephone-event.
var ErrNotDTMF = errors.New("sfu: not a telephone-event payload")

// dtmfEvents maps RFC 4733 event codes 0–15 to their keys.
const dtmfEvents = "0123456789*#ABCD"

// DTMFDigit is the key of an RFC 4733 event code, or 0 for codes that are
// not DTMF keys (flash, tones).
func DTMFDigit(event byte) rune {
	if int(event) < len(dtmfEvents) {
		return rune(dtmfEvents[event])
	}
	return 0
}

// DTMFEvent is the RFC 4733 event code of a key, and whether it is one.
func DTMFEvent(digit rune) (byte, bool) {
	for i, d := range dtmfEvents {
		if d == digit {
			return byte(i), true
		}
	}
	return 0, false
}

// parseTelephoneEvent reads an RFC 4733 payload: event code and end bit.
func parseTelephoneEvent(payload []byte) (event byte, end bool, err error) {
	if len(payload) < 4 {
		return 0, false, ErrNotDTMF
	}
	return payload[0], payload[1]&0x80 != 0, nil
}

// dtmfReceiver turns the packets of telephone-events into key presses: one
// event is many packets sharing an RTP timestamp (start, updates and three
// end packets), and must yield one digit.
type dtmfReceiver struct {
	seen   bool
	lastTS uint32
}

// digit returns the key pressed by the packet, or 0 if it continues an
// event already reported or is not a key.
func (r *dtmfReceiver) digit(ts uint32, payload []byte) rune {
	event, _, err := parseTelephoneEvent(payload)
	if err != nil || (r.seen && ts == r.lastTS) {
		return 0
	}
	r.seen, r.lastTS = true, ts
	return DTMFDigit(event)
}
