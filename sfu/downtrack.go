package sfu

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
)

// rtpWriter is where a DownTrack sends packets: a browser leg's engine peer, or a
// SIP leg's encoder later.
type rtpWriter interface {
	WriteRTP(p *rtp.Packet) error
}

// RTP clock rates of the forwarded codecs (Opus, VP8, H.264).
const (
	audioClockRate = 48000
	videoClockRate = 90000
)

// DownTrack is one track a leg receives. It follows one source UpTrack at a
// time and rewrites sequence numbers and timestamps, so the receiver sees a
// single continuous stream when the source changes (transfer, speaker switch).
type DownTrack struct {
	kind Kind
	mime string
	out  rtpWriter

	mu        sync.Mutex // guards the rewrite state below, never held across I/O
	src       *UpTrack
	resync    bool
	sent      bool
	seqOffset uint16
	tsOffset  uint32
	lastSeq   uint16
	lastTS    uint32
	lastAt    int64  // when the newest packet sent arrived (monoNow)
	lastDur   uint32 // media it carried, in RTP clock units
	// lastTimeline is the timeline of that packet's source (UpTrack).
	lastTimeline string
	// The epoch: packets sent since the last resync, all from epochSrc
	// with the current offsets, numbered firstSeq..lastSeq. Only these can
	// be resent (downtrack_resend.go); budget paces the resends.
	epochSrc *UpTrack
	firstSeq uint16
	budget   resendBudget

	forwarded atomic.Uint64
	dropped   atomic.Uint64
	resent    atomic.Uint64
	stats     *Stats        // shared totals; never nil
	twcc      twccOf        // transport-wide numbering for the leg's estimate (twcc.go)
	loss      atomic.Uint32 // fraction lost the receiver last reported, of 256
	// wantKey: the receiver asked for a keyframe and none has gone out
	// since. The source's throttle may swallow a request, and a PBX asks
	// only once (Asterisk's Echo sends one FIR per call), so the request
	// is repeated on the packets that follow until a keyframe passes.
	wantKey atomic.Bool
}

// noteLoss keeps the fraction lost (of 256) from the receiver's RTCP
// receiver report about this track.
func (d *DownTrack) noteLoss(fraction uint8) { d.loss.Store(uint32(fraction)) }

// Loss is the share of this track's packets the receiver last reported
// lost, 0..1.
func (d *DownTrack) Loss() float64 { return float64(d.loss.Load()) / 256 }

// NewDownTrack returns a track of kind/mime that writes to out, counting
// into stats (nil: counted only on the track).
func NewDownTrack(kind Kind, mime string, out rtpWriter, stats *Stats) *DownTrack {
	if stats == nil {
		stats = &Stats{}
	}
	return &DownTrack{kind: kind, mime: mime, out: out, stats: stats}
}

// Kind is audio or video.
func (d *DownTrack) Kind() Kind { return d.kind }

// MimeType is the negotiated codec.
func (d *DownTrack) MimeType() string { return d.mime }

// Forwarded counts packets written to the receiver.
func (d *DownTrack) Forwarded() uint64 { return d.forwarded.Load() }

// Dropped counts packets not written (waiting for a keyframe, write errors).
func (d *DownTrack) Dropped() uint64 { return d.dropped.Load() }

// Source is the UpTrack currently followed, or nil.
func (d *DownTrack) Source() *UpTrack {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.src
}

// SetSource makes the track follow up (nil: stop). Video waits for the next
// keyframe of the new source, which is requested at once.
func (d *DownTrack) SetSource(up *UpTrack) {
	d.mu.Lock()
	changed := d.src != up
	d.src, d.resync = up, d.resync || changed
	d.mu.Unlock()
	if changed && up != nil {
		up.RequestKeyframe()
	}
}

// RequestKeyframe passes a receiver's PLI/FIR on to the current source,
// and again (at the source's pace) until a keyframe has gone out.
func (d *DownTrack) RequestKeyframe() {
	if d.kind == Video {
		d.wantKey.Store(true)
	}
	if src := d.Source(); src != nil {
		src.RequestKeyframe()
	}
}

// keepAsking repeats a pending keyframe request on a delta frame of src;
// a keyframe settles it. It reads only atomics, so WriteRTP calls it
// without d.mu: the request may write RTCP to the source's connection.
func (d *DownTrack) keepAsking(src *UpTrack, p *rtp.Packet) {
	if !d.wantKey.Load() {
		return
	}
	if isKeyframe(d.mime, p.Payload) {
		d.wantKey.Store(false)
		return
	}
	src.RequestKeyframe()
}

// WriteRTP forwards p from src if src is the current source. It rewrites
// the header in place and restores it before returning, because the same
// packet goes on to other subscribers.
func (d *DownTrack) WriteRTP(src *UpTrack, p *rtp.Packet) {
	seq, ts, ok := d.rewrite(src, p)
	if !ok {
		return
	}
	if d.kind == Video {
		d.keepAsking(src, p) // outside d.mu: asking may write RTCP
	}
	origSeq, origTS := p.SequenceNumber, p.Timestamp
	hasExt, profile, exts := p.Extension, p.ExtensionProfile, p.Extensions
	// Extension ids are negotiated per leg; the sender's ids mean nothing to
	// the receiver. The leg's own transport-wide number is added instead.
	p.SequenceNumber, p.Timestamp, p.Extension, p.Extensions = seq, ts, false, nil
	d.stampTWCC(p, src.arrival)
	if err := d.write(src, p); err != nil {
		d.dropped.Add(1)
		d.stats.PacketsDropped.Add(1)
	} else {
		d.forwarded.Add(1)
		d.stats.PacketsForwarded.Add(1)
		d.stats.BytesForwarded.Add(uint64(len(p.Payload)))
	}
	p.SequenceNumber, p.Timestamp, p.Extension, p.ExtensionProfile, p.Extensions = origSeq, origTS, hasExt, profile, exts
}

// sourceWriter is a writer that can do better knowing the packet's source:
// a browser leg's writer queues packets the engine's read goroutine
// forwards into that goroutine's batch (webrtcleg_batch.go).
type sourceWriter interface {
	writeFrom(src *UpTrack, p *rtp.Packet) error
}

// write sends p through the track's writer.
func (d *DownTrack) write(src *UpTrack, p *rtp.Packet) error {
	if w, ok := d.out.(sourceWriter); ok {
		return w.writeFrom(src, p)
	}
	return d.out.WriteRTP(p)
}

// rewrite computes the outgoing sequence number and timestamp of p.
func (d *DownTrack) rewrite(src *UpTrack, p *rtp.Packet) (uint16, uint32, bool) {
	d.mu.Lock()
	if src != d.src {
		d.mu.Unlock()
		return 0, 0, false
	}
	if d.resync {
		if d.kind == Video && !isKeyframe(d.mime, p.Payload) {
			d.mu.Unlock()
			d.dropped.Add(1)
			d.stats.PacketsDropped.Add(1)
			src.RequestKeyframe()
			return 0, 0, false
		}
		d.resyncLocked(p, src)
		d.epochSrc, d.firstSeq = src, p.SequenceNumber+d.seqOffset
	}
	seq, ts := p.SequenceNumber+d.seqOffset, p.Timestamp+d.tsOffset
	if !d.sent || seqNewer(seq, d.lastSeq) {
		d.lastSeq, d.lastTS, d.sent = seq, ts, true
		d.lastAt, d.lastDur, d.lastTimeline = src.arrival, src.dur, src.timeline
		if d.lastSeq-d.firstSeq > maxEpochSpan {
			d.firstSeq = d.lastSeq - maxEpochSpan // keeps firstSeq..lastSeq a range without wrap-around
		}
	}
	d.mu.Unlock()
	return seq, ts, true
}

// resyncLocked sets the offsets so p, the first packet of a new source,
// continues the stream sent so far: sequence numbers without a gap, and
// the timestamp where p belongs in media time. Sources on one timeline (a
// room's shared mix and a talker's own mix-minus) already agree on it.
func (d *DownTrack) resyncLocked(p *rtp.Packet, src *UpTrack) {
	d.resync = false
	if !d.sent {
		return
	}
	d.seqOffset = d.lastSeq + 1 - p.SequenceNumber
	if src.timeline != "" && src.timeline == d.lastTimeline {
		return
	}
	d.tsOffset = d.resumeTSLocked(src) - p.Timestamp
}

// resumeTSLocked is the timestamp of a new source's first packet. A packet
// goes out as soon as its media is complete, so the last packet's media
// ended (lastTS+lastDur) when it arrived and the new one's ends now: the
// new one starts at lastTS + lastDur + the time between the two − its own
// duration. Whatever the packet durations (20 ms frames, 40/60 ms listener
// packets) and however long the switch took (a transfer's ring), the
// receiver's clock keeps following wall time. Video packets carry no
// duration: the new frame goes the elapsed time after the last one.
func (d *DownTrack) resumeTSLocked(src *UpTrack) uint32 {
	rate := int64(audioClockRate)
	if d.kind == Video {
		rate = videoClockRate
	}
	elapsed := max(0, src.arrival-d.lastAt)
	ticks := uint32(elapsed * rate / int64(time.Second))
	if d.lastDur == 0 || src.dur == 0 {
		return d.lastTS + max(ticks, 1)
	}
	end := d.lastTS + d.lastDur
	if next := end + ticks - src.dur; int32(next-end) > 0 {
		return next
	}
	return end // two live sources overlap in time: right after the last
}

// seqNewer reports whether a follows b in RTP sequence-number order.
func seqNewer(a, b uint16) bool {
	return a != b && a-b < 0x8000
}
