package sfu

import (
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"

	"xphone/sfu/bwe"
)

// Send-side bandwidth estimation for browser legs (sfu/bwe): every packet a
// DownTrack sends to the browser carries a transport-wide sequence number,
// the leg's History notes it, and the browser's TWCC feedback (read with
// the sender's RTCP) moves the leg's Estimator. Conferences take the
// estimate as the viewer's budget (conference_layers.go).

// twccSlots is how many header-extension buffers a DownTrack rotates
// through, so that writers overlapping during a source switch never share
// one.
const twccSlots = 4

// twccStamp is a DownTrack's share of its leg's transport-wide numbering.
type twccStamp struct {
	hist  *bwe.History
	id    uint8 // negotiated header extension id
	slots [twccSlots]struct {
		ext [1]rtp.Extension
		buf [2]byte
	}
}

// setTWCC makes the track stamp its packets into hist with extension id.
func (d *DownTrack) setTWCC(hist *bwe.History, id uint8) {
	d.twcc.Store(&twccStamp{hist: hist, id: id})
}

// stampTWCC numbers p (whose extensions the caller restores afterwards),
// sent at (monoNow: the source packet's arrival, as it goes straight on),
// and records it; it allocates nothing.
func (d *DownTrack) stampTWCC(p *rtp.Packet, at int64) {
	s := d.twcc.Load()
	if s == nil {
		return
	}
	seq := s.hist.Sent(len(p.Payload)+rtpOverhead, at/int64(time.Microsecond))
	slot := &s.slots[seq%twccSlots]
	slot.buf[0], slot.buf[1] = byte(seq>>8), byte(seq)
	p.Extension, p.Extensions = false, slot.ext[:0] // appending into the slot allocates nothing
	_ = p.SetExtension(s.id, slot.buf[:])
}

// rtpOverhead is what a packet adds to its payload on the wire: RTP header
// with one extension, SRTP tag, UDP and IP.
const rtpOverhead = 12 + 8 + 16 + 8 + 20

// armTWCC gives every video down track whose transport-cc extension is
// now negotiated its numbering; called after each negotiation. Only video
// is numbered: the estimate chooses video layers, and a browser sends
// feedback only about numbered packets, so an audio-only leg (most of a
// large room) costs no feedback traffic at all.
func (l *WebRTCLeg) armTWCC() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.sections {
		d := s.down
		if d == nil || d.Kind() != Video || s.added || d.twcc.Load() != nil {
			continue
		}
		if id := s.ext(sdp.TransportCCURI); id > 0 {
			d.setTWCC(l.estimator().History(), id)
		}
	}
}

// estimator is the leg's bandwidth estimator, made on first use. l.mu is
// held (the only writer).
func (l *WebRTCLeg) estimator() *bwe.Estimator {
	if e := l.bwe.Load(); e != nil {
		return e
	}
	e := bwe.NewEstimator(&bwe.History{})
	l.bwe.Store(e)
	return e
}

// twccOf is the DownTrack field that holds the numbering.
type twccOf = atomic.Pointer[twccStamp]
