package rtcpclock

import (
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
	g := &nackGenerator{senderSSRC: rand.Uint32(), logs: map[uint32]*receiveLog{}}
	g.periodic = periodic{clock: f.clock, every: f.interval, build: g.build}
	return g, nil
}

type nackGenerator struct {
	interceptor.NoOp
	periodic
	senderSSRC uint32

	mu      sync.Mutex
	logs    map[uint32]*receiveLog
	scratch []uint16
}

// BindRTCPWriter keeps the leg's RTCP writer for the NACKs.
func (g *nackGenerator) BindRTCPWriter(w interceptor.RTCPWriter) interceptor.RTCPWriter {
	g.bindWriter(w)
	return w
}

// BindRemoteStream logs the sequence numbers of a stream that takes NACKs.
func (g *nackGenerator) BindRemoteStream(info *interceptor.StreamInfo, reader interceptor.RTPReader) interceptor.RTPReader {
	if !takesNack(info) || !g.addStream() {
		return reader
	}
	l := &receiveLog{}
	g.mu.Lock()
	g.logs[info.SSRC] = l
	g.mu.Unlock()
	return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		n, attr, err := reader.Read(b, a)
		if seq, _, ok := rtpSeqTS(b[:max(n, 0)]); err == nil && ok {
			l.add(seq)
		}
		return n, attr, err
	})
}

// UnbindRemoteStream drops the stream's log.
func (g *nackGenerator) UnbindRemoteStream(info *interceptor.StreamInfo) {
	g.mu.Lock()
	_, ok := g.logs[info.SSRC]
	delete(g.logs, info.SSRC)
	g.mu.Unlock()
	if ok {
		g.removeStream()
	}
}

// Close stops NACKs for good.
func (g *nackGenerator) Close() error {
	g.close()
	return nil
}

// build makes one NACK per stream that lost packets.
func (g *nackGenerator) build(time.Time) []rtcp.Packet {
	g.mu.Lock()
	defer g.mu.Unlock()
	var pkts []rtcp.Packet
	for ssrc, l := range g.logs {
		g.scratch = l.missing(g.scratch[:0], maxNackTries)
		if len(g.scratch) > 0 {
			pkts = append(pkts, &rtcp.TransportLayerNack{
				SenderSSRC: g.senderSSRC, MediaSSRC: ssrc, Nacks: rtcp.NackPairsFromSequenceNumbers(g.scratch),
			})
		}
	}
	return pkts
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
