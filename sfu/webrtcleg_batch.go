package sfu

import (
	"errors"
	"time"

	"github.com/pion/rtp"

	"xphone/sfu/engine"
)

// readBatchSize is how many datagrams the read goroutine queues before a
// send: one recvmmsg call's packets (a video frame or more) to tens of
// viewers, so that each viewer's share goes as one GSO message (768 KiB,
// once per server).
const readBatchSize = 512

// readBatch is the engine read goroutine's egress batch. A packet a
// browser publishes is forwarded in that goroutine; its fan-out to other
// browser legs is sealed into this batch and sent when the engine has
// handled the whole recvmmsg call (legMedia.EndBatch), in one sendmmsg
// with runs to one viewer as UDP GSO messages, instead of a sendto per
// viewer and packet. Only the read goroutine touches it.
type readBatch struct {
	b *engine.Batch
}

// EndBatch implements engine.BatchEnder: the engine handled every datagram
// of one read, so what they fanned out goes now. Every leg's handler is
// told; the first call sends the lot and the rest find the batch empty.
func (m *legMedia) EndBatch() {
	if rb := m.l.api.batch; rb.b.Len() > 0 {
		if err := rb.b.Flush(); err != nil {
			m.l.log.Debug("batch send", "err", err)
		}
	}
}

// writeFrom implements sourceWriter: a packet forwarded by the read
// goroutine of this leg's engine goes into its batch; any other (mixer,
// music, SIP, a leg of another MediaAPI) is sent at once.
func (w *legWriter) writeFrom(src *UpTrack, p *rtp.Packet) error {
	if src.batch == nil || src.batch != w.l.api.batch || !w.known.Load() {
		return w.WriteRTP(p)
	}
	ssrc, pt := p.SSRC, p.PayloadType
	p.SSRC, p.PayloadType = w.ssrc, w.pt
	err := src.batch.b.AddRTP(w.peer, p)
	if sess := w.l.rtcp.Load(); err == nil && sess != nil {
		// The packet's arrival, not a clock read per viewer: the sender
		// report's RTP/NTP pair is off by the µs the fan-out took.
		sess.Sent(w.ssrc, p.Timestamp, len(p.Payload), monoEpoch.Add(time.Duration(src.arrival)))
	}
	p.SSRC, p.PayloadType = ssrc, pt
	if errors.Is(err, engine.ErrNotReady) {
		return nil
	}
	return err
}
