package sfu

import (
	"encoding/binary"

	"github.com/pion/rtcp"
)

// twccScratch parses transport-wide congestion control feedback
// (draft-holmer-rmcat-transport-wide-cc-extensions-01) into a
// rtcp.TransportLayerCC whose chunks and deltas point into storage it
// keeps, so that a browser's feedback, several times a second, costs no
// allocation; pion's Unmarshal allocates per chunk and per delta.
type twccScratch struct {
	fb     rtcp.TransportLayerCC
	runs   []rtcp.RunLengthChunk
	vecs   []rtcp.StatusVectorChunk
	vecAt  []int // where each vector's symbols start in syms
	syms   []uint16
	kinds  []bool // per chunk in order: true for a status vector
	deltas []rtcp.RecvDelta
	chunks []rtcp.PacketStatusChunk
	dptrs  []*rtcp.RecvDelta
}

// TWCC layout: chunks start after the header, both SSRCs, the base
// sequence number, status count, reference time and feedback count.
const (
	twccChunks   = 20
	twccScale    = rtcp.TypeTCCDeltaScaleFactor
	twccSmall    = rtcp.TypeTCCPacketReceivedSmallDelta
	twccLarge    = rtcp.TypeTCCPacketReceivedLargeDelta
	twccVectorOn = 0x80
)

// parse reads one TWCC packet (p is exactly its bytes). The result is
// valid until the next parse.
func (s *twccScratch) parse(p []byte) (*rtcp.TransportLayerCC, error) {
	if len(p) < twccChunks {
		return nil, errRTCP
	}
	fb := &s.fb
	fb.Header = rtcp.Header{Padding: p[0]&0x20 != 0, Count: p[0] & 0x1f, Type: rtcp.PacketType(p[1]),
		Length: binary.BigEndian.Uint16(p[2:])}
	fb.SenderSSRC = binary.BigEndian.Uint32(p[4:])
	fb.MediaSSRC = binary.BigEndian.Uint32(p[8:])
	fb.BaseSequenceNumber = binary.BigEndian.Uint16(p[12:])
	fb.PacketStatusCount = binary.BigEndian.Uint16(p[14:])
	fb.ReferenceTime = uint32(p[16])<<16 | uint32(p[17])<<8 | uint32(p[18])
	fb.FbPktCount = p[19]
	pos, err := s.readChunks(p, fb.PacketStatusCount)
	if err != nil {
		return nil, err
	}
	if err := s.readDeltas(p, pos); err != nil {
		return nil, err
	}
	s.link()
	return fb, nil
}

// readChunks reads the status chunks covering count packets and notes a
// delta for each packet received; it returns where the deltas start.
func (s *twccScratch) readChunks(p []byte, count uint16) (int, error) {
	s.runs, s.vecs, s.vecAt, s.syms = s.runs[:0], s.vecs[:0], s.vecAt[:0], s.syms[:0]
	s.kinds, s.deltas = s.kinds[:0], s.deltas[:0]
	pos, done := twccChunks, uint16(0)
	for done < count {
		if pos+2 >= len(p) {
			return 0, errRTCP
		}
		b0, b1 := p[pos], p[pos+1]
		var n int
		if b0&twccVectorOn == 0 {
			n = s.runChunk(b0, b1, count-done, len(p)-pos)
		} else {
			n = s.vectorChunk(b0, b1, count-done)
		}
		// Every delta takes at least a byte after the chunks: more than
		// the packet holds is malformed (and would grow the scratch).
		if len(s.deltas) > len(p)-pos {
			return 0, errRTCP
		}
		done += uint16(n)
		pos += 2
	}
	return pos, nil
}

// runChunk reads a run-length chunk; it covers up to left packets. Deltas
// beyond room (bytes left in the packet) are not noted: they cannot fit.
func (s *twccScratch) runChunk(b0, b1 byte, left uint16, room int) int {
	c := rtcp.RunLengthChunk{Type: rtcp.TypeTCCRunLengthChunk, PacketStatusSymbol: uint16(b0>>5) & 3,
		RunLength: uint16(b0&0x1f)<<8 | uint16(b1)}
	n := min(left, c.RunLength)
	if c.PacketStatusSymbol == twccSmall || c.PacketStatusSymbol == twccLarge {
		for range min(int(n), room+1) { // one too many is enough for readChunks to refuse it

			s.deltas = append(s.deltas, rtcp.RecvDelta{Type: c.PacketStatusSymbol})
		}
	}
	s.runs = append(s.runs, c)
	s.kinds = append(s.kinds, false)
	return int(min(left, c.RunLength))
}

// vectorChunk reads a status vector chunk: 14 one-bit or 7 two-bit
// symbols, of which the first left count.
func (s *twccScratch) vectorChunk(b0, b1 byte, left uint16) int {
	start := len(s.syms)
	two := b0>>6&1 == 1
	if two {
		for i := range 3 {
			s.syms = append(s.syms, uint16(b0>>(4-2*i))&3)
		}
		for i := range 4 {
			s.syms = append(s.syms, uint16(b1>>(6-2*i))&3)
		}
	} else {
		for i := range 6 {
			s.syms = append(s.syms, uint16(b0>>(5-i))&1)
		}
		for i := range 8 {
			s.syms = append(s.syms, uint16(b1>>(7-i))&1)
		}
	}
	n := min(int(left), len(s.syms)-start)
	for _, sym := range s.syms[start : start+n] {
		if sym == twccSmall || (two && sym == twccLarge) {
			s.deltas = append(s.deltas, rtcp.RecvDelta{Type: sym})
		}
	}
	size := uint16(0)
	if two {
		size = rtcp.TypeTCCSymbolSizeTwoBit
	}
	s.vecs = append(s.vecs, rtcp.StatusVectorChunk{Type: rtcp.TypeTCCStatusVectorChunk, SymbolSize: size})
	s.vecAt = append(s.vecAt, start)
	s.kinds = append(s.kinds, true)
	return n
}

// readDeltas reads the receive deltas (one byte small, two bytes large,
// in 250 µs units) that follow the chunks at pos.
func (s *twccScratch) readDeltas(p []byte, pos int) error {
	for i := range s.deltas {
		d := &s.deltas[i]
		if d.Type == twccSmall {
			if pos+1 > len(p) {
				return errRTCP
			}
			d.Delta = twccScale * int64(p[pos])
			pos++
			continue
		}
		if pos+2 > len(p) {
			return errRTCP
		}
		d.Delta = twccScale * int64(int16(binary.BigEndian.Uint16(p[pos:])))
		pos += 2
	}
	return nil
}

// link points the feedback's chunks and deltas at the scratch storage,
// once it has stopped growing.
func (s *twccScratch) link() {
	fb := &s.fb
	s.chunks, s.dptrs = s.chunks[:0], s.dptrs[:0]
	run, vec := 0, 0
	for _, isVec := range s.kinds {
		if !isVec {
			s.chunks = append(s.chunks, &s.runs[run])
			run++
			continue
		}
		at := s.vecAt[vec]
		n := 14
		if s.vecs[vec].SymbolSize == rtcp.TypeTCCSymbolSizeTwoBit {
			n = 7
		}
		s.vecs[vec].SymbolList = s.syms[at : at+n : at+n]
		s.chunks = append(s.chunks, &s.vecs[vec])
		vec++
	}
	for i := range s.deltas {
		s.dptrs = append(s.dptrs, &s.deltas[i])
	}
	fb.PacketChunks, fb.RecvDeltas = s.chunks, s.dptrs
}
