package sfu

import (
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// A viewer's retransmissions are paced by a token bucket: resendBurst
// packets at once, resendRate a second after that. A viewer losing a third
// of a 2.5 Mbit/s layer asks for ≈ 100 packets a second, and one that lost
// a whole keyframe for a few hundred at once; a hostile viewer repeating
// NACKs with full bitmasks gets no more than this, one more stream's worth.
const (
	resendRate  = 300
	resendBurst = 256
)

// maxEpochSpan bounds firstSeq..lastSeq, far beyond cacheSlots, so the
// range of resendable numbers never wraps around the 16-bit space.
const maxEpochSpan = 0x4000

// resendBudget is a DownTrack's token bucket; guarded by the DownTrack's mu.
type resendBudget struct {
	tokens int
	at     int64 // monoNow the tokens were last counted
	primed bool
}

// refill adds the tokens earned since the last count, up to resendBurst.
func (b *resendBudget) refill(now int64) {
	if !b.primed {
		b.tokens, b.at, b.primed = resendBurst, now, true
		return
	}
	earned := (now - b.at) * resendRate / int64(time.Second)
	if earned <= 0 {
		return
	}
	b.tokens = int(min(int64(resendBurst), int64(b.tokens)+earned))
	b.at += earned * int64(time.Second) / resendRate
	if b.tokens == resendBurst {
		b.at = now // a full bucket does not save up for later
	}
}

// resendScratch is the packet and payload buffer a viewer's RTCP reader
// resends through; owned by that one goroutine, so resending allocates
// nothing and copies out of the shared cache without holding its lock
// during the write.
type resendScratch struct {
	pkt rtp.Packet
	buf [cacheSlotBytes]byte
}

// resendEpoch is a snapshot of how the current epoch's packets were
// rewritten.
type resendEpoch struct {
	src         *UpTrack
	seqOffset   uint16
	tsOffset    uint32
	first, last uint16
}

// takeEpoch snapshots the epoch and takes the whole budget; the caller
// gives back what it did not use. ok is false when nothing can be resent.
func (d *DownTrack) takeEpoch(now int64) (e resendEpoch, tokens int, ok bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.sent || d.epochSrc == nil || d.epochSrc.cache == nil {
		return e, 0, false
	}
	d.budget.refill(now)
	tokens, d.budget.tokens = d.budget.tokens, 0
	e = resendEpoch{src: d.epochSrc, seqOffset: d.seqOffset, tsOffset: d.tsOffset, first: d.firstSeq, last: d.lastSeq}
	return e, tokens, tokens > 0
}

// giveBack returns unused tokens to the budget.
func (d *DownTrack) giveBack(tokens int) {
	d.mu.Lock()
	d.budget.tokens = min(resendBurst, d.budget.tokens+tokens)
	d.mu.Unlock()
}

// resendLost answers a viewer's NACK (RFC 4585 §6.2.1) at now (monoNow):
// each packet it names that this track sent since its last source switch,
// and that the source's cache still holds, goes out again with the header
// the viewer first got it with. A packet of another layer, from before a
// switch, or older than the cache is not resent. Every cache lookup costs
// a token of the viewer's budget, so no NACK, however large or often
// repeated, costs more than the budget allows. It returns the number of
// packets resent.
func (d *DownTrack) resendLost(nack *rtcp.TransportLayerNack, now int64, s *resendScratch) int {
	e, tokens, ok := d.takeEpoch(now)
	if !ok {
		return 0
	}
	resent := 0
	for _, pair := range nack.Nacks {
		if tokens == 0 {
			break
		}
		// Bit 0 stands for PacketID itself, bit i+1 for PacketID+i+1.
		lost := uint32(pair.LostPackets)<<1 | 1
		for i := uint16(0); lost != 0 && tokens > 0; i, lost = i+1, lost>>1 {
			seq := pair.PacketID + i
			if lost&1 == 0 || seq-e.first > e.last-e.first {
				continue
			}
			tokens--
			if d.resendOne(&e, seq, now, s) {
				resent++
			}
		}
	}
	d.giveBack(tokens)
	return resent
}

// resendOne writes the packet this track sent as seq again, if the
// source's cache has it.
func (d *DownTrack) resendOne(e *resendEpoch, seq uint16, now int64, s *resendScratch) bool {
	p := &s.pkt
	if !e.src.cache.load(seq-e.seqOffset, p, s.buf[:]) {
		return false
	}
	p.SequenceNumber, p.Timestamp = seq, p.Timestamp+e.tsOffset
	d.stampTWCC(p, now)
	if err := d.out.WriteRTP(p); err != nil {
		return false
	}
	d.resent.Add(1)
	d.stats.PacketsResent.Add(1)
	return true
}

// Resent counts packets sent again at the receiver's request.
func (d *DownTrack) Resent() uint64 { return d.resent.Load() }
