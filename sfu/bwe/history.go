package bwe

import "sync/atomic"

// historySize is how many sent packets are remembered: far more than a
// viewer receives between two feedback packets (≈ 100 ms).
const historySize = 4096

// History remembers when each packet with a transport-wide sequence number
// was sent and how big it was. Writers (every goroutine that sends to the
// leg) and the feedback reader never lock: each slot is one atomic word.
type History struct {
	next  atomic.Uint32 // next transport-wide sequence number (low 16 bits go on the wire)
	slots [historySize]atomic.Uint64
}

// slot packing: send time in µs (40 bits, ≈ 12 days), size in bytes (12
// bits), and the 12 high bits of the 16-bit sequence number to tell a
// stale slot from the one asked for.
const (
	sizeBits = 12
	seqBits  = 12
	maxSize  = 1<<sizeBits - 1
)

// Sent records a packet of size bytes sent at atMicros and returns its
// transport-wide sequence number.
func (h *History) Sent(size int, atMicros int64) uint16 {
	seq := uint16(h.next.Add(1) - 1)
	size = min(max(size, 0), maxSize)
	word := uint64(atMicros)<<(sizeBits+seqBits) | uint64(size)<<seqBits | uint64(seq>>4)
	h.slots[int(seq)%historySize].Store(word)
	return seq
}

// lookup returns the send time and size of seq, if it is still known.
func (h *History) lookup(seq uint16) (atMicros int64, size int, ok bool) {
	word := h.slots[int(seq)%historySize].Load()
	if word == 0 || uint16(word&(1<<seqBits-1)) != seq>>4 {
		return 0, 0, false
	}
	return int64(word >> (sizeBits + seqBits)), int(word >> seqBits & maxSize), true
}
