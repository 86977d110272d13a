package rtcpclock

import (
	"encoding/binary"

	"github.com/pion/rtcp"
)

// The RTCP a session writes is encoded here by hand, appended to a buffer
// the session reuses: rtcp.Marshal allocates every packet, its parts and
// the compound, per leg per tick. Each encoder writes exactly the bytes
// rtcp.Marshal writes for the same packet (marshal_test.go compares them).

// RTCP packet types and feedback formats (RFC 3550, 4585; REMB and
// transport-wide feedback drafts).
const (
	typeSR, typeRR, typeRTPFB, typePSFB = 200, 201, 205, 206
	fmtNACK, fmtTWCC, fmtPLI, fmtREMB   = 1, 15, 1, 15
	reportBlockLen                      = 24
)

// appendHeader appends an RTCP header: version 2, count (or format), type
// and the length in 32-bit words minus one of a packet of size bytes.
func appendHeader(b []byte, padding bool, count, typ uint8, size int) []byte {
	first := byte(2<<6) | count
	if padding {
		first |= 1 << 5
	}
	return append(b, first, typ, byte((size/4-1)>>8), byte(size/4-1))
}

func appendU32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }

// appendSenderReport appends a sender report without report blocks (the
// session sends its receiver reports apart, as pion's interceptors do).
func appendSenderReport(b []byte, ssrc uint32, ntp uint64, rtpTime, packets, octets uint32) []byte {
	b = appendHeader(b, false, 0, typeSR, 28)
	b = appendU32(b, ssrc)
	b = binary.BigEndian.AppendUint64(b, ntp)
	b = appendU32(b, rtpTime)
	b = appendU32(b, packets)
	return appendU32(b, octets)
}

// appendReceiverReport appends one receiver report from ssrc carrying
// blocks (at most maxReportBlocks).
func appendReceiverReport(b []byte, ssrc uint32, blocks []rtcp.ReceptionReport) []byte {
	b = appendHeader(b, false, uint8(len(blocks)), typeRR, 8+reportBlockLen*len(blocks))
	b = appendU32(b, ssrc)
	for i := range blocks {
		r := &blocks[i]
		b = appendU32(b, r.SSRC)
		b = append(b, r.FractionLost, byte(r.TotalLost>>16), byte(r.TotalLost>>8), byte(r.TotalLost))
		b = appendU32(b, r.LastSequenceNumber)
		b = appendU32(b, r.Jitter)
		b = appendU32(b, r.LastSenderReport)
		b = appendU32(b, r.Delay)
	}
	return b
}

// maxNackPairs is the most pairs rtcp.Marshal writes in one NACK (its
// length, in words, must fit a byte); later losses are asked for again
// on the next tick.
const maxNackPairs = 255 - 2

// appendNack appends a generic NACK for the sequence numbers seqs (in
// ascending order, as receiveLog.missing gives them), grouped into
// pairs as rtcp.NackPairsFromSequenceNumbers groups them, at most
// maxNackPairs.
func appendNack(b []byte, senderSSRC, mediaSSRC uint32, seqs []uint16) []byte {
	if len(seqs) == 0 {
		return b
	}
	start := len(b)
	b = appendHeader(b, false, fmtNACK, typeRTPFB, 12) // length fixed below
	b = appendU32(b, senderSSRC)
	b = appendU32(b, mediaSSRC)
	id, lost, pairs := seqs[0], uint16(0), 1
	for _, m := range seqs[1:] {
		if m-id > 16 {
			if pairs == maxNackPairs {
				break
			}
			b = append(b, byte(id>>8), byte(id), byte(lost>>8), byte(lost))
			id, lost = m, 0
			pairs++
			continue
		}
		lost |= 1 << (m - id - 1)
	}
	b = append(b, byte(id>>8), byte(id), byte(lost>>8), byte(lost))
	binary.BigEndian.PutUint16(b[start+2:], uint16((len(b)-start)/4-1))
	return b
}

// AppendPLI appends a picture loss indication for mediaSSRC.
func AppendPLI(b []byte, senderSSRC, mediaSSRC uint32) []byte {
	b = appendHeader(b, false, fmtPLI, typePSFB, 12)
	b = appendU32(b, senderSSRC)
	return appendU32(b, mediaSSRC)
}

// AppendREMB appends a receiver estimated maximum bitrate message of
// bitrate bits/s for ssrcs (at most 255; a negative bitrate is sent as 0).
func AppendREMB(b []byte, senderSSRC uint32, bitrate float32, ssrcs []uint32) []byte {
	const bitratemax = 0x3FFFFp+63
	ssrcs = ssrcs[:min(len(ssrcs), 255)]
	b = appendHeader(b, false, fmtREMB, typePSFB, 20+4*len(ssrcs))
	b = appendU32(b, senderSSRC)
	b = append(b, 0, 0, 0, 0, 'R', 'E', 'M', 'B', byte(len(ssrcs)))
	bitrate = max(0, min(bitrate, bitratemax))
	exp := 0
	for bitrate >= 1<<18 {
		bitrate /= 2
		exp++
	}
	mantissa := uint32(bitrate)
	b = append(b, byte(exp<<2)|byte(mantissa>>16), byte(mantissa>>8), byte(mantissa))
	for _, s := range ssrcs {
		b = appendU32(b, s)
	}
	return b
}
