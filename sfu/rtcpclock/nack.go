package rtcpclock

import (
	"math/rand/v2"
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
type NackGenerator struct{ schedule }

// NewNackGenerator returns a factory whose interceptors send NACKs every
// interval on clock.
func NewNackGenerator(clock *Clock, interval time.Duration) *NackGenerator {
	return &NackGenerator{newSchedule(clock, interval, nil)}
}

// NewInterceptor is called by pion once per PeerConnection.
func (f *NackGenerator) NewInterceptor(string) (interceptor.Interceptor, error) {
	g := &nackGenerator{periodic: newPeriodic[*receiveLog](f.schedule), senderSSRC: rand.Uint32()}
	g.build = g.nacks
	return g, nil
}

type nackGenerator struct {
	periodic[*receiveLog]
	senderSSRC uint32
	scratch    []uint16 // used by nacks only, on the clock's goroutine
}

// BindRemoteStream logs the sequence numbers of a stream that takes NACKs.
func (g *nackGenerator) BindRemoteStream(info *interceptor.StreamInfo, reader interceptor.RTPReader) interceptor.RTPReader {
	l := &receiveLog{}
	if !takesNack(info) || !g.addStream(info.SSRC, l) {
		return reader
	}
	return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		n, attr, err := reader.Read(b, a)
		if seq, _, ok := rtpSeqTS(b[:max(n, 0)]); err == nil && ok {
			l.add(seq)
		}
		return n, attr, err
	})
}

// nacks makes one NACK per stream that lost packets.
func (g *nackGenerator) nacks(time.Time) []rtcp.Packet {
	var pkts []rtcp.Packet
	g.each(func(ssrc uint32, l *receiveLog) {
		pkts, g.scratch = appendNack(pkts, g.senderSSRC, ssrc, l, g.scratch)
	})
	return pkts
}

// appendNack appends to pkts a NACK for the packets of ssrc that l misses
// and may still be asked for, if any; scratch is reused and returned.
func appendNack(pkts []rtcp.Packet, senderSSRC, ssrc uint32, l *receiveLog, scratch []uint16) ([]rtcp.Packet, []uint16) {
	scratch = l.missing(scratch[:0], maxNackTries)
	if len(scratch) == 0 {
		return pkts, scratch
	}
	return append(pkts, &rtcp.TransportLayerNack{
		SenderSSRC: senderSSRC, MediaSSRC: ssrc, Nacks: rtcp.NackPairsFromSequenceNumbers(scratch),
	}), scratch
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
