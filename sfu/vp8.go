package sfu

// isVP8Keyframe reports whether an RTP payload starts a VP8 keyframe
// (RFC 7741 §4.2–4.3): the start of partition 0 with the P bit clear.
func isVP8Keyframe(payload []byte) bool {
	if len(payload) < 1 {
		return false
	}
	desc := payload[0]
	start, partID := desc&0x10 != 0, desc&0x0f
	if !start || partID != 0 {
		return false
	}
	i := 1
	if desc&0x80 != 0 { // X: extension byte follows
		if len(payload) <= i {
			return false
		}
		ext := payload[i]
		i++
		if ext&0x80 != 0 { // I: picture id, 1 or 2 bytes
			if len(payload) <= i {
				return false
			}
			if payload[i]&0x80 != 0 {
				i++
			}
			i++
		}
		if ext&0x40 != 0 { // L: TL0PICIDX
			i++
		}
		if ext&0x30 != 0 { // T or K: TID/KEYIDX byte
			i++
		}
	}
	if len(payload) <= i {
		return false
	}
	return payload[i]&0x01 == 0
}
