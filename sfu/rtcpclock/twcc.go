package rtcpclock

import (
	"encoding/binary"
	"sync"
	"time"
)

// arrivals records when packets carrying a transport-wide sequence number
// arrived and writes the feedback for them, for a Session.
type arrivals struct {
	start time.Time // arrival times are microseconds since start

	mu  sync.Mutex
	rec twccRecorder
}

func newArrivals(senderSSRC uint32, start time.Time) *arrivals {
	return &arrivals{start: start, rec: twccRecorder{senderSSRC: senderSSRC}}
}

// record notes the arrival at now of a packet of ssrc whose transport-wide
// sequence number extension is ext (shorter ones are ignored).
func (a *arrivals) record(ssrc uint32, ext []byte, now time.Time) {
	if len(ext) < 2 {
		return
	}
	at := now.Sub(a.start).Microseconds()
	a.mu.Lock()
	a.rec.record(ssrc, binary.BigEndian.Uint16(ext), at)
	a.mu.Unlock()
}

// appendFeedback appends the transport-cc feedback for what arrived since
// the last call; nothing if nothing did.
func (a *arrivals) appendFeedback(b []byte) []byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.rec.appendFeedback(b)
}
