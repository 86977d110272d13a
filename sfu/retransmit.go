package sfu

import (
	"sync"

	"github.com/pion/rtp"
)

// Retransmission (RFC 4585 generic NACK) without a send buffer per viewer:
// each published video layer keeps one cache of its last packets
// (packetCache, filled by the UpTrack's read loop), and a viewer's NACK for
// the sequence numbers it saw is mapped back, through its DownTrack's
// rewrite, to the source's numbers and answered from that shared cache
// (downtrack_resend.go). pion's responder kept 1,024 packets per stream it
// sent, per viewer: ≈ 2.5 MiB for every video a viewer received.
//
// RTX is not negotiated (mediaapi.go registers no video/rtx codec), so a
// retransmission is the original packet again on the viewer's SSRC, with
// its sequence number and timestamp as first sent; Chromium and Firefox
// both accept that.

// cacheSlots is how many packets a layer keeps. 512 packets are 1.8 s of a
// 2.5 Mbit/s layer of 1,100-byte packets (more for lower layers): longer
// than a browser keeps asking for a packet before its jitter buffer gives
// the frame up, and room for a keyframe of a few hundred packets. A power
// of two, so a sequence number's slot is a mask.
const cacheSlots = 512

// cacheSlotBytes is the largest payload kept: the most a packet can carry
// in a 1,500-byte Ethernet frame (minus IPv4, UDP and the RTP header). A
// larger payload is still forwarded but cannot be resent.
const cacheSlotBytes = 1500 - 20 - 8 - 12

// cacheBuffer is the payload memory of one cache; it comes from, and goes
// back to, cacheBuffers, so a publisher leaving and another arriving reuse it.
type cacheBuffer [cacheSlots * cacheSlotBytes]byte

var cacheBuffers = sync.Pool{New: func() any { return new(cacheBuffer) }}

// cachedPacket describes the packet in one slot; its payload lives at the
// slot's place in the buffer.
type cachedPacket struct {
	seq     uint16
	size    uint16 // payload bytes
	ts      uint32
	pt      uint8
	padding uint8 // padding bytes the packet carried after its payload
	marker  bool
	valid   bool
}

// packetCache is a ring of the last cacheSlots packets of one source,
// indexed by sequence number. The read loop stores; viewers' RTCP readers
// copy out. The lock covers only a copy, never I/O.
type packetCache struct {
	mu    sync.Mutex
	buf   *cacheBuffer // nil until the first packet, and after release
	slots [cacheSlots]cachedPacket
}

// store keeps a copy of p in its sequence number's slot, replacing the
// packet cacheSlots before it. It allocates nothing once the buffer is taken.
func (c *packetCache) store(p *rtp.Packet) {
	n := len(p.Payload)
	i := int(p.SequenceNumber) & (cacheSlots - 1)
	c.mu.Lock()
	defer c.mu.Unlock()
	if n > cacheSlotBytes {
		c.slots[i].valid = false
		return
	}
	if c.buf == nil {
		c.buf = cacheBuffers.Get().(*cacheBuffer)
	}
	copy(c.buf[i*cacheSlotBytes:], p.Payload)
	c.slots[i] = cachedPacket{seq: p.SequenceNumber, size: uint16(n), ts: p.Timestamp, pt: p.PayloadType,
		padding: p.Header.PaddingSize, marker: p.Marker, valid: true}
}

// load copies the packet with sequence number seq into p, its payload into
// dst (at least cacheSlotBytes long); false when it is no longer, or never
// was, in the cache.
func (c *packetCache) load(seq uint16, p *rtp.Packet, dst []byte) bool {
	i := int(seq) & (cacheSlots - 1)
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.slots[i]
	if c.buf == nil || !s.valid || s.seq != seq {
		return false
	}
	n := copy(dst, c.buf[i*cacheSlotBytes:i*cacheSlotBytes+int(s.size)])
	p.Header = rtp.Header{Version: 2, Marker: s.marker, PayloadType: s.pt, SequenceNumber: seq, Timestamp: s.ts,
		Padding: s.padding > 0, PaddingSize: s.padding}
	p.Payload = dst[:n]
	return true
}

// release forgets every packet and gives the buffer back to the pool; the
// next store takes one again.
func (c *packetCache) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.buf != nil {
		cacheBuffers.Put(c.buf)
		c.buf = nil
	}
	c.slots = [cacheSlots]cachedPacket{}
}
