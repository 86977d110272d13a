package sfu

import (
	"errors"
	"log/slog"
	"time"

	"github.com/pion/rtp"

	"xphone/sfu/engine"
)

// readBatchSize is how many datagrams the read goroutine queues before a
// send: one recvmmsg call's packets (a video frame or more) to tens of
// viewers, so that each viewer's share goes as one GSO message (768 KiB,
// once per server).
const readBatchSize = 512

// tickBatchSize is how many datagrams a mixer tick or the music player
// queues before a send: a 100-person room's tick is two sendmmsg calls.
const tickBatchSize = 64

// readBatch is the egress batch of one goroutine that forwards packets to
// browser legs, so that they leave in one sendmmsg (runs to one viewer as
// UDP GSO messages) instead of a sendto per viewer and packet. Only the
// owning goroutine touches it.
//
// Two kinds exist. The engine read goroutine's (b set, one per MediaAPI):
// a packet a browser publishes is forwarded in that goroutine and sent
// when the engine has handled the whole recvmmsg call (legMedia.EndBatch).
// A tick batch (newTickBatch: a room's mixer, music on hold): the packets
// one tick produces, sent by flush at the end of the tick; it keeps one
// engine batch per engine its listeners are on, made on first use.
type readBatch struct {
	b     *engine.Batch
	ticks []engineBatch // tick batch only
	tick  bool
}

type engineBatch struct {
	eng *engine.Engine
	b   *engine.Batch
}

// newTickBatch returns an empty batch for a goroutine that produces
// packets on a tick.
func newTickBatch() *readBatch { return &readBatch{tick: true} }

// batchFor is the engine batch a packet for leg l joins, nil when l's
// packets must be sent at once (l is on another engine's read goroutine).
func (rb *readBatch) batchFor(l *WebRTCLeg) *engine.Batch {
	if !rb.tick {
		if rb == l.api.batch {
			return rb.b
		}
		return nil
	}
	eng := l.api.eng
	for _, t := range rb.ticks {
		if t.eng == eng {
			return t.b
		}
	}
	if eng == nil {
		return nil
	}
	b := eng.NewBatch(tickBatchSize)
	rb.ticks = append(rb.ticks, engineBatch{eng: eng, b: b})
	return b
}

// flush sends what a tick queued, with no lock held.
func (rb *readBatch) flush(log *slog.Logger) {
	for _, t := range rb.ticks {
		if t.b.Len() == 0 {
			continue
		}
		if err := t.b.Flush(); err != nil {
			log.Debug("tick batch send", "err", err)
		}
	}
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

// writeFrom implements sourceWriter: a packet forwarded by a goroutine
// with a batch (the engine's read goroutine for this leg, a mixer tick,
// music on hold) goes into that batch; any other (SIP, a leg of another
// MediaAPI's read goroutine) is sent at once.
func (w *legWriter) writeFrom(src *UpTrack, p *rtp.Packet) error {
	if src.batch == nil || !w.known.Load() {
		return w.WriteRTP(p)
	}
	b := src.batch.batchFor(w.l)
	if b == nil {
		return w.WriteRTP(p)
	}
	ssrc, pt := p.SSRC, p.PayloadType
	p.SSRC, p.PayloadType = w.ssrc, w.pt
	err := b.AddRTP(w.peer, p)
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
