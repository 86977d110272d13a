package rtcpclock

import "encoding/binary"

// RTP fields read straight from the packet bytes: the interceptors see
// every packet, and pion's Attributes.GetRTPHeader allocates a map and a
// header for each.

// rtpSeqTS returns the sequence number and timestamp of an RTP packet.
func rtpSeqTS(b []byte) (seq uint16, ts uint32, ok bool) {
	if len(b) < 12 || b[0]>>6 != 2 {
		return 0, 0, false
	}
	return binary.BigEndian.Uint16(b[2:4]), binary.BigEndian.Uint32(b[4:8]), true
}

// rtpExtension returns the payload of header extension id (RFC 8285,
// one- or two-byte form) without copying.
func rtpExtension(b []byte, id uint8) ([]byte, bool) {
	if len(b) < 12 || b[0]>>6 != 2 || b[0]&0x10 == 0 || id == 0 {
		return nil, false
	}
	off := 12 + 4*int(b[0]&0x0f)
	if len(b) < off+4 {
		return nil, false
	}
	profile := binary.BigEndian.Uint16(b[off:])
	end := off + 4 + 4*int(binary.BigEndian.Uint16(b[off+2:]))
	if end > len(b) {
		return nil, false
	}
	switch {
	case profile == 0xbede:
		return oneByteExtension(b[off+4:end], id)
	case profile&0xfff0 == 0x1000:
		return twoByteExtension(b[off+4:end], id)
	}
	return nil, false
}

func oneByteExtension(b []byte, id uint8) ([]byte, bool) {
	for i := 0; i < len(b); {
		if b[i] == 0 { // padding
			i++
			continue
		}
		extID, n := b[i]>>4, int(b[i]&0x0f)+1
		// ID 15 and ID 0 with a length end processing (RFC 8285 §4.2).
		if extID == 15 || extID == 0 || i+1+n > len(b) {
			return nil, false
		}
		if extID == id {
			return b[i+1 : i+1+n], true
		}
		i += 1 + n
	}
	return nil, false
}

func twoByteExtension(b []byte, id uint8) ([]byte, bool) {
	for i := 0; i < len(b); {
		if b[i] == 0 {
			i++
			continue
		}
		if i+2 > len(b) {
			return nil, false
		}
		extID, n := b[i], int(b[i+1])
		if i+2+n > len(b) {
			return nil, false
		}
		if extID == id {
			return b[i+2 : i+2+n], true
		}
		i += 2 + n
	}
	return nil, false
}
