package rtcpclock

import (
	"encoding/binary"
	"sync"
	"time"

	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/rtcp"
)

// arrivals records when packets carrying a transport-wide sequence number
// arrived and builds the feedback for them, for a Session. pion's twcc.Recorder keeps the packets until the next build.
type arrivals struct {
	start time.Time // arrival times are microseconds since start

	mu  sync.Mutex
	rec *twcc.Recorder
}

func newArrivals(senderSSRC uint32, start time.Time) *arrivals {
	return &arrivals{start: start, rec: twcc.NewRecorder(senderSSRC)}
}

// record notes the arrival at now of a packet of ssrc whose transport-wide
// sequence number extension is ext (shorter ones are ignored).
func (a *arrivals) record(ssrc uint32, ext []byte, now time.Time) {
	if len(ext) < 2 {
		return
	}
	at := now.Sub(a.start).Microseconds()
	a.mu.Lock()
	a.rec.Record(ssrc, binary.BigEndian.Uint16(ext), at)
	a.mu.Unlock()
}

// feedback is the transport-cc feedback for what arrived since the last
// call; nil if nothing did.
func (a *arrivals) feedback() []rtcp.Packet {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.rec.BuildFeedbackPacket()
}
