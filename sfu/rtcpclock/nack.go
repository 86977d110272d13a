package rtcpclock

import (
	"encoding/binary"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
)

// maxNackTries is how often one lost packet is asked for: enough to ride
// out a lost NACK or retransmission, not so often that a packet the sender
// no longer has is asked for until it leaves the window.
const maxNackTries = 3

// NackGenerator is an interceptor factory that asks senders to retransmit
// lost packets (RFC 4585 generic NACK) on streams that negotiated "nack".
// Unlike pion's generator it has no goroutine per PeerConnection: it runs
// on the shared clock, and only while the leg receives such a stream.
type NackGenerator struct {
	clock    *Clock
	interval time.Duration
}

// NewNackGenerator returns a factory whose interceptors send NACKs every
// interval on clock.
func NewNackGenerator(clock *Clock, interval time.Duration) *NackGenerator {
	return &NackGenerator{clock: clock, interval: interval}
}

// NewInterceptor is called by pion once per PeerConnection.
func (f *NackGenerator) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &nackGenerator{f: f, senderSSRC: rand.Uint32(), logs: map[uint32]*receiveLog{}}, nil
}

type nackGenerator struct {
	interceptor.NoOp
	f          *NackGenerator
	senderSSRC uint32

	mu      sync.Mutex
	logs    map[uint32]*receiveLog
	writer  interceptor.RTCPWriter
	cancel  func() // the clock job, while any stream is logged
	closed  bool
	scratch []uint16
}

// BindRTCPWriter keeps the leg's RTCP writer for the NACKs.
func (g *nackGenerator) BindRTCPWriter(w interceptor.RTCPWriter) interceptor.RTCPWriter {
	g.mu.Lock()
	g.writer = w
	g.mu.Unlock()
	return w
}

// BindRemoteStream logs the sequence numbers of a stream that takes NACKs.
func (g *nackGenerator) BindRemoteStream(info *interceptor.StreamInfo, reader interceptor.RTPReader) interceptor.RTPReader {
	if !takesNack(info) {
		return reader
	}
	l := &receiveLog{}
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return reader
	}
	g.logs[info.SSRC] = l
	if g.cancel == nil {
		g.cancel = g.f.clock.Every(g.f.interval, g.tick)
	}
	g.mu.Unlock()
	return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		n, attr, err := reader.Read(b, a)
		if err == nil && n >= 12 && b[0]>>6 == 2 {
			l.add(binary.BigEndian.Uint16(b[2:4]))
		}
		return n, attr, err
	})
}

// UnbindRemoteStream drops the stream's log, and the clock job with the last.
func (g *nackGenerator) UnbindRemoteStream(info *interceptor.StreamInfo) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.logs, info.SSRC)
	if len(g.logs) == 0 {
		g.stopLocked()
	}
}

// Close stops NACKs for good.
func (g *nackGenerator) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed = true
	g.stopLocked()
	return nil
}

func (g *nackGenerator) stopLocked() {
	if g.cancel != nil {
		g.cancel()
		g.cancel = nil
	}
}

// tick sends one compound RTCP packet with a NACK per stream that lost
// packets, writing outside the lock.
func (g *nackGenerator) tick(time.Time) {
	g.mu.Lock()
	if g.closed || g.writer == nil {
		g.mu.Unlock()
		return
	}
	var pkts []rtcp.Packet
	for ssrc, l := range g.logs {
		g.scratch = l.missing(g.scratch[:0], maxNackTries)
		if len(g.scratch) > 0 {
			pkts = append(pkts, &rtcp.TransportLayerNack{
				SenderSSRC: g.senderSSRC, MediaSSRC: ssrc, Nacks: rtcp.NackPairsFromSequenceNumbers(g.scratch),
			})
		}
	}
	w := g.writer
	g.mu.Unlock()
	if len(pkts) > 0 {
		_, _ = w.Write(pkts, interceptor.Attributes{})
	}
}

// takesNack reports whether the stream negotiated generic NACK.
func takesNack(info *interceptor.StreamInfo) bool {
	for _, fb := range info.RTCPFeedback {
		if fb.Type == "nack" && fb.Parameter == "" {
			return true
		}
	}
	return false
}
