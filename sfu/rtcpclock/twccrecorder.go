package rtcpclock

import "math"

// twccRecorder is pion's twcc.Recorder (interceptor v0.1.51, after
// Chrome's remote_estimator_proxy) rebuilt to write its feedback straight
// into the session's buffer, reusing its state between ticks: pion's
// builds rtcp.TransportLayerCC values (chunks, deltas, pointers) that
// rtcp.Marshal then copies, several allocations per leg per tick. The
// logic and the bytes are pion's (marshal_test.go feeds both the same
// arrivals and compares what they write).
type twccRecorder struct {
	arrivals   arrivalMap
	unwrap     unwrapper
	start      int64 // first sequence number of the next feedback
	hasStart   bool
	senderSSRC uint32
	mediaSSRC  uint32
	fbPktCnt   uint8
	fb         twccFeedback // reused by every feedback packet
}

const (
	packetWindowMicroseconds  = 500_000
	maxMissingSequenceNumbers = 0x7FFE
)

// record marks a packet of mediaSSRC with transport-wide sequence number
// seq as arrived at (microseconds).
func (r *twccRecorder) record(mediaSSRC uint32, seq uint16, at int64) {
	r.mediaSSRC = mediaSSRC
	sn := r.unwrap.unwrap(seq)
	if r.hasStart && r.start >= r.arrivals.end && at >= packetWindowMicroseconds {
		r.arrivals.removeOld(sn, at-packetWindowMicroseconds)
	}
	if !r.hasStart || sn < r.start {
		r.start, r.hasStart = sn, true
	}
	if r.arrivals.hasReceived(sn) {
		return // only the first arrival counts
	}
	r.arrivals.add(sn, at)
	if r.start < r.arrivals.begin {
		r.start = r.arrivals.begin
	}
}

// appendFeedback appends the feedback packets for what arrived since the
// last call; nothing if nothing did.
func (r *twccRecorder) appendFeedback(b []byte) []byte {
	if !r.hasStart {
		return b
	}
	end := r.arrivals.end
	for r.start < end {
		var ok bool
		if b, ok = r.appendOne(b, r.start, end); !ok {
			break
		}
	}
	return b
}

// appendOne appends one feedback packet from begin (inclusive) to end
// (exclusive), as far as one packet holds; false when it wrote none.
func (r *twccRecorder) appendOne(b []byte, begin, end int64) ([]byte, bool) {
	from, to := r.arrivals.clamp(begin), r.arrivals.clamp(end)
	fb := &r.fb
	started := false
	next := begin
	for seq := from; seq < to; seq++ {
		found, at, ok := r.arrivals.findNextAtOrAfter(seq)
		seq = found
		if !ok || seq >= to {
			break
		}
		if !started {
			started = true
			fb.reset(r.fbPktCnt)
			r.fbPktCnt++
			fb.setBase(uint16(max(begin, seq-maxMissingSequenceNumbers)), at)
			if !fb.addReceived(uint16(seq), at) {
				r.start = seq
				return b, false
			}
		} else if !fb.addReceived(uint16(seq), at) {
			break // the packet is full
		}
		next = seq + 1
	}
	r.start = next
	if !started {
		return b, false
	}
	return fb.appendTo(b, r.senderSSRC, r.mediaSSRC), true
}

// Packet status symbols and the delta unit of transport-wide feedback.
const (
	symNotReceived = 0
	symSmallDelta  = 1
	symLargeDelta  = 2
	deltaScale     = 250 // µs
)

// twccFeedback is one feedback packet being built.
type twccFeedback struct {
	fbPktCnt  uint8
	base      uint16
	refTime   int64 // 64 ms units
	lastUS    int64
	next      uint16
	count     uint16
	deltaLen  int // bytes of the receive deltas
	last      twccChunk
	chunks    []uint16 // encoded packet status chunks
	deltas    []int16  // receive deltas in 250 µs units
	deltaSyms []uint8  // their symbols (small or large)
}

func (f *twccFeedback) reset(fbPktCnt uint8) {
	f.fbPktCnt, f.count, f.deltaLen = fbPktCnt, 0, 0
	f.last.reset()
	f.chunks, f.deltas, f.deltaSyms = f.chunks[:0], f.deltas[:0], f.deltaSyms[:0]
}

func (f *twccFeedback) setBase(seq uint16, atUS int64) {
	f.base, f.next = seq, seq
	f.refTime = atUS / 64e3
	f.lastUS = f.refTime * 64e3
}

// addReceived adds seq, arrived at atUS, after the packets missing before
// it; false when its delta does not fit the packet.
func (f *twccFeedback) addReceived(seq uint16, atUS int64) bool {
	d := atUS - f.lastUS
	var d250 int64
	if d >= 0 {
		d250 = (d + deltaScale/2) / deltaScale
	} else {
		d250 = (d - deltaScale/2) / deltaScale
	}
	if d250 < math.MinInt16 || d250 > math.MaxInt16 {
		return false
	}
	for ; f.next != seq; f.next++ {
		f.addSymbol(symNotReceived)
		f.count++
	}
	sym := uint8(symLargeDelta)
	if d250 >= 0 && d250 <= 0xff {
		sym = symSmallDelta
		f.deltaLen++
	} else {
		f.deltaLen += 2
	}
	f.addSymbol(sym)
	f.deltas = append(f.deltas, int16(d250))
	f.deltaSyms = append(f.deltaSyms, sym)
	f.lastUS += d250 * deltaScale
	f.count++
	f.next++
	return true
}

func (f *twccFeedback) addSymbol(sym uint8) {
	if !f.last.canAdd(sym) {
		f.chunks = append(f.chunks, f.last.encode())
	}
	f.last.add(sym)
}

// appendTo appends the finished packet (it consumes the last chunk).
func (f *twccFeedback) appendTo(b []byte, senderSSRC, mediaSSRC uint32) []byte {
	for len(f.last.syms) > 0 {
		f.chunks = append(f.chunks, f.last.encode())
	}
	size := 20 + 2*len(f.chunks) + f.deltaLen
	padded := (size + 3) &^ 3
	b = appendHeader(b, padded != size, fmtTWCC, typeRTPFB, padded)
	b = appendU32(b, senderSSRC)
	b = appendU32(b, mediaSSRC)
	b = append(b, byte(f.base>>8), byte(f.base), byte(f.count>>8), byte(f.count))
	b = appendU32(b, uint32(f.refTime)<<8|uint32(f.fbPktCnt))
	for _, c := range f.chunks {
		b = append(b, byte(c>>8), byte(c))
	}
	for i, d := range f.deltas {
		if f.deltaSyms[i] == symSmallDelta {
			b = append(b, byte(d))
		} else {
			b = append(b, byte(uint16(d)>>8), byte(uint16(d)))
		}
	}
	for i := size; i < padded-1; i++ {
		b = append(b, 0)
	}
	if padded != size {
		b = append(b, byte(padded-size))
	}
	return b
}

// Capacities of the three chunk kinds, in symbols.
const (
	maxRunLength = 0x1fff
	maxOneBit    = 14
	maxTwoBit    = 7
)

// twccChunk is the packet status chunk being filled.
type twccChunk struct {
	large, mixed bool
	syms         []uint8
}

func (c *twccChunk) canAdd(sym uint8) bool {
	n := len(c.syms)
	return n < maxTwoBit ||
		(n < maxOneBit && !c.large && sym != symLargeDelta) ||
		(n < maxRunLength && !c.mixed && sym == c.syms[0])
}

func (c *twccChunk) add(sym uint8) {
	c.syms = append(c.syms, sym)
	c.large = c.large || sym == symLargeDelta
	c.mixed = c.mixed || sym != c.syms[0]
}

func (c *twccChunk) reset() { c.syms, c.large, c.mixed = c.syms[:0], false, false }

// encode returns the next chunk: a run length chunk of all the symbols
// when they are one, a one-bit vector of 14, or a two-bit vector of the
// first 7 (the rest stay).
func (c *twccChunk) encode() uint16 {
	if !c.mixed {
		w := uint16(c.syms[0]&3)<<13 | uint16(len(c.syms))&0x1fff
		c.reset()
		return w
	}
	if len(c.syms) == maxOneBit {
		w := uint16(1) << 15
		for i, s := range c.syms {
			w |= uint16(s&1) << (13 - i)
		}
		c.reset()
		return w
	}
	n := min(maxTwoBit, len(c.syms))
	w := uint16(3) << 14
	for i, s := range c.syms[:n] {
		w |= uint16(s&3) << (12 - 2*i)
	}
	rest := copy(c.syms, c.syms[n:])
	c.syms = c.syms[:rest]
	c.large, c.mixed = false, false
	for _, s := range c.syms {
		c.mixed = c.mixed || s != c.syms[0]
		c.large = c.large || s == symLargeDelta
	}
	return w
}

// unwrapper extends 16-bit sequence numbers to int64 (pion's
// sequencenumber.Unwrapper).
type unwrapper struct {
	init bool
	last int64
}

func (u *unwrapper) unwrap(i uint16) int64 {
	if !u.init {
		u.init, u.last = true, int64(i)
		return u.last
	}
	prev := uint16(u.last)
	delta := int64(i - prev)
	if isNewerSeq(i, prev) {
		if delta < 0 {
			delta += 1 << 16
		}
	} else if delta > 0 && u.last+delta-(1<<16) >= 0 {
		delta -= 1 << 16
	}
	u.last += delta
	return u.last
}

func isNewerSeq(value, prev uint16) bool {
	if value-prev == 0x8000 {
		return value > prev
	}
	return value != prev && value-prev < 0x8000
}
