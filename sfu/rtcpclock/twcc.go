package rtcpclock

import (
	"encoding/binary"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/rtcp"
	"github.com/pion/sdp/v3"
)

// TWCCFeedback is an interceptor factory that tells senders when each of
// their packets arrived (transport-wide congestion control feedback), so
// that browsers' bandwidth estimation works for what they send us. pion's
// twcc.Recorder builds the packets; unlike pion's interceptor, which hands
// every received packet to a goroutine of its own over a channel, arrivals
// are recorded in place and feedback goes out on the shared clock.
type TWCCFeedback struct{ schedule }

// NewTWCCFeedback returns a factory sending feedback every interval on
// clock; now is the arrival clock (nil: time.Now).
func NewTWCCFeedback(clock *Clock, interval time.Duration, now func() time.Time) *TWCCFeedback {
	return &TWCCFeedback{newSchedule(clock, interval, now)}
}

// NewInterceptor is called by pion once per PeerConnection.
func (f *TWCCFeedback) NewInterceptor(string) (interceptor.Interceptor, error) {
	t := &twccFeedback{periodic: newPeriodic[struct{}](f.schedule), now: f.now,
		arrivals: newArrivals(rand.Uint32(), f.now())}
	t.build = t.feedback
	return t, nil
}

type twccFeedback struct {
	periodic[struct{}]
	now      func() time.Time
	arrivals *arrivals
}

// arrivals records when packets carrying a transport-wide sequence number
// arrived and builds the feedback for them; the interceptor and Session
// share it. pion's twcc.Recorder keeps the packets until the next build.
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

// BindRemoteStream records the arrival of every packet of a stream that
// carries the transport-wide sequence number extension.
func (t *twccFeedback) BindRemoteStream(info *interceptor.StreamInfo, reader interceptor.RTPReader) interceptor.RTPReader {
	id := extensionID(info, sdp.TransportCCURI)
	if id == 0 || !t.addStream(info.SSRC, struct{}{}) {
		return reader
	}
	ssrc := info.SSRC
	return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		n, attr, err := reader.Read(b, a)
		if ext, ok := rtpExtension(b[:max(n, 0)], id); err == nil && ok {
			t.arrivals.record(ssrc, ext, t.now())
		}
		return n, attr, err
	})
}

func (t *twccFeedback) feedback(time.Time) []rtcp.Packet { return t.arrivals.feedback() }

// extensionID is the negotiated id of the header extension uri, 0 if none.
func extensionID(info *interceptor.StreamInfo, uri string) uint8 {
	for _, e := range info.RTPHeaderExtensions {
		if e.URI == uri && e.ID > 0 && e.ID < 256 {
			return uint8(e.ID)
		}
	}
	return 0
}
