package recorder

// vp8Frames joins the RTP packets of VP8 frames (RFC 7741) back into
// frames. A frame is the packets of one timestamp, from the one that starts
// partition 0 (S=1, PID=0) to the one with the marker bit; a lost packet
// spoils the frame, and everything after it up to the next key frame
// (a decoder could not use it).
type vp8Frames struct {
	buf      []byte
	ts       uint32
	nextSeq  uint16
	inFrame  bool
	seen     bool
	needKey  bool
	keyframe bool
}

// maxVP8Frame bounds one frame (a 4K key frame is well below it).
const maxVP8Frame = 4 << 20

func newVP8Frames() *vp8Frames { return &vp8Frames{buf: make([]byte, 0, 256<<10), needKey: true} }

// resync drops what is gathered and waits for a key frame (a new source).
func (v *vp8Frames) resync() { v.inFrame, v.needKey, v.seen = false, true, false }

// push adds one packet; it returns a complete frame (valid until the next
// push) and whether it is a key frame.
func (v *vp8Frames) push(seq uint16, ts uint32, marker bool, payload []byte) ([]byte, bool, bool) {
	data, start, ok := vp8Payload(payload)
	if !ok {
		v.inFrame = false
		return nil, false, false
	}
	lost := v.seen && seq != v.nextSeq
	v.seen = true
	switch {
	case start:
		if v.inFrame || lost {
			v.needKey = true // the last frame never ended, or a whole one was lost
		}
		v.inFrame, v.ts, v.buf = true, ts, v.buf[:0]
		v.keyframe = len(data) > 0 && data[0]&0x01 == 0
		if v.needKey && !v.keyframe {
			v.inFrame = false
		}
	case !v.inFrame || lost || ts != v.ts:
		v.inFrame, v.needKey = false, true // a lost packet: this frame is spoilt
	}
	v.nextSeq = seq + 1
	if !v.inFrame {
		return nil, false, false
	}
	if len(v.buf)+len(data) > maxVP8Frame {
		v.inFrame, v.needKey = false, true
		return nil, false, false
	}
	v.buf = append(v.buf, data...)
	if !marker {
		return nil, false, false
	}
	v.inFrame = false
	if v.keyframe {
		v.needKey = false
	}
	return v.buf, v.keyframe, true
}

// vp8Payload strips the VP8 payload descriptor (RFC 7741 §4.2) and reports
// whether the packet starts a frame (S=1 and partition 0).
func vp8Payload(p []byte) ([]byte, bool, bool) {
	if len(p) < 1 {
		return nil, false, false
	}
	start := p[0]&0x10 != 0 && p[0]&0x0f == 0
	i := 1
	if p[0]&0x80 != 0 { // X: extension byte
		if len(p) < 2 {
			return nil, false, false
		}
		ext := p[1]
		i = 2
		if ext&0x80 != 0 { // I: picture id, 7 or 15 bits
			if len(p) <= i {
				return nil, false, false
			}
			if p[i]&0x80 != 0 {
				i++
			}
			i++
		}
		if ext&0x40 != 0 { // L: TL0PICIDX
			i++
		}
		if ext&0x30 != 0 { // T or K: TID/Y/KEYIDX
			i++
		}
	}
	if i > len(p) {
		return nil, false, false
	}
	return p[i:], start, true
}

// vp8Size reads the width and height of a key frame (RFC 6386 §9.1): the
// 3-byte frame tag, the start code 9d 01 2a, then 14-bit width and height.
func vp8Size(frame []byte) (int, int, bool) {
	if len(frame) < 10 || frame[0]&0x01 != 0 || frame[3] != 0x9d || frame[4] != 0x01 || frame[5] != 0x2a {
		return 0, 0, false
	}
	w := int(frame[6]) | int(frame[7]&0x3f)<<8
	h := int(frame[8]) | int(frame[9]&0x3f)<<8
	return w, h, w > 0 && h > 0
}
