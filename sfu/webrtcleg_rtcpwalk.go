package sfu

import (
	"encoding/binary"
	"errors"
	"math"

	"github.com/pion/rtcp"
)

// errRTCP reports a malformed packet inside a browser's compound RTCP.
var errRTCP = errors.New("sfu: malformed rtcp")

// rtcpReader is what the server acts on in a browser's RTCP; walkRTCP
// calls it once per item, in packet order. Packets it is handed (nack,
// twcc) live in scratch storage: valid until the method returns.
type rtcpReader interface {
	senderReport(ssrc uint32, ntp uint64)
	lossReport(ssrc uint32, fractionLost uint8)
	nack(n *rtcp.TransportLayerNack)
	keyframe(mediaSSRC uint32) // PLI, FIR
	remb(bitrate float32)
	twcc(fb *rtcp.TransportLayerCC)
}

// rtcpScratch is the storage walkRTCP reuses, so that reading a browser's
// RTCP allocates nothing once it has seen the largest packet. One belongs
// to the engine's read goroutine (MediaAPI).
type rtcpScratch struct {
	nack rtcp.TransportLayerNack
	twcc twccScratch
}

// RTCP packet types and feedback formats (RFC 3550, 4585, 5104; REMB and
// TWCC drafts) walkRTCP reads.
const (
	rtcpSR, rtcpRR, rtcpRTPFB, rtcpPSFB = 200, 201, 205, 206
	fmtNACK, fmtTWCC                    = 1, 15
	fmtPLI, fmtFIR, fmtREMB             = 1, 4, 15
	reportBlockLen                      = 24
)

// walkRTCP reads a compound RTCP packet by hand, for what the server uses:
// sender and receiver reports (their report blocks and the sender's NTP
// time), NACK, PLI, FIR, REMB and transport-wide feedback. Other packets
// (SDES, BYE, XR, …) are stepped over. A malformed packet is skipped and
// reported after the rest were read; a broken length ends the walk.
func walkRTCP(b []byte, s *rtcpScratch, f rtcpReader) error {
	var bad error
	for len(b) > 0 {
		if len(b) < 4 || b[0]>>6 != 2 {
			return errRTCP
		}
		size := (int(binary.BigEndian.Uint16(b[2:])) + 1) * 4
		if size > len(b) {
			return errRTCP
		}
		if err := readOne(b[:size], s, f); err != nil && bad == nil {
			bad = err
		}
		b = b[size:]
	}
	return bad
}

// readOne reads one packet of a compound (p is exactly its bytes).
func readOne(p []byte, s *rtcpScratch, f rtcpReader) error {
	count := p[0] & 0x1f
	switch {
	case p[1] == rtcpSR:
		if len(p) < 28 {
			return errRTCP
		}
		f.senderReport(binary.BigEndian.Uint32(p[4:]), binary.BigEndian.Uint64(p[8:]))
		return reportBlocks(p, 28, count, f)
	case p[1] == rtcpRR:
		if len(p) < 8 {
			return errRTCP
		}
		return reportBlocks(p, 8, count, f)
	case p[1] == rtcpRTPFB && count == fmtNACK:
		return readNACK(p, &s.nack, f)
	case p[1] == rtcpRTPFB && count == fmtTWCC:
		fb, err := s.twcc.parse(p)
		if err != nil {
			return err
		}
		f.twcc(fb)
	case p[1] == rtcpPSFB && count == fmtPLI:
		if len(p) < 12 {
			return errRTCP
		}
		f.keyframe(binary.BigEndian.Uint32(p[8:]))
	case p[1] == rtcpPSFB && count == fmtFIR:
		return readFIR(p, f)
	case p[1] == rtcpPSFB && count == fmtREMB:
		return readREMB(p, f)
	}
	return nil
}

// reportBlocks hands on the count report blocks starting at off.
func reportBlocks(p []byte, off int, count uint8, f rtcpReader) error {
	if off+int(count)*reportBlockLen > len(p) {
		return errRTCP
	}
	for range count {
		f.lossReport(binary.BigEndian.Uint32(p[off:]), p[off+4])
		off += reportBlockLen
	}
	return nil
}

// readNACK fills n (its pairs' storage reused) and hands it on.
func readNACK(p []byte, n *rtcp.TransportLayerNack, f rtcpReader) error {
	if len(p) <= 12 {
		return errRTCP
	}
	n.SenderSSRC = binary.BigEndian.Uint32(p[4:])
	n.MediaSSRC = binary.BigEndian.Uint32(p[8:])
	n.Nacks = n.Nacks[:0]
	for i := 12; i+4 <= len(p); i += 4 {
		n.Nacks = append(n.Nacks, rtcp.NackPair{PacketID: binary.BigEndian.Uint16(p[i:]),
			LostPackets: rtcp.PacketBitmap(binary.BigEndian.Uint16(p[i+2:]))})
	}
	f.nack(n)
	return nil
}

// readFIR asks for a keyframe of every SSRC a FIR names, then of its media
// SSRC (which RFC 5104 says is unused, but some senders fill).
func readFIR(p []byte, f rtcpReader) error {
	if len(p) <= 12 || (len(p)-4)%8 != 0 {
		return errRTCP
	}
	for i := 12; i+8 <= len(p); i += 8 {
		f.keyframe(binary.BigEndian.Uint32(p[i:]))
	}
	f.keyframe(binary.BigEndian.Uint32(p[8:]))
	return nil
}

// readREMB reads the bitrate of a REMB (draft-alvestrand-rmcat-remb):
// mantissa · 2^exponent bits/s.
func readREMB(p []byte, f rtcpReader) error {
	if len(p) < 20 || p[0]&0x20 != 0 || binary.BigEndian.Uint32(p[8:]) != 0 ||
		string(p[12:16]) != "REMB" || len(p) != 20+4*int(p[16]) {
		return errRTCP
	}
	exp := int(p[17] >> 2)
	mantissa := uint32(p[17]&3)<<16 | uint32(p[18])<<8 | uint32(p[19])
	f.remb(float32(math.Ldexp(float64(mantissa), exp)))
	return nil
}
