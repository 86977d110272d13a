package mixer

// packFrames joins single-frame Opus packets (each a TOC byte and one
// frame, RFC 6716 code 0) into one packet of code 3 with VBR frame sizes
// (§3.2.5), written to dst. Listeners of a big room then get one packet per
// 40 or 60 ms instead of per 20 ms: fewer packets to encrypt and send, at
// the price of that much more packetisation delay. It reports false, and
// the frames must go out one by one, when they cannot share a packet: a
// TOC configuration that differs (the encoder switched mode or bandwidth),
// a frame that is not code 0, or dst too small.
func packFrames(dst []byte, frames [][]byte) (int, bool) {
	if len(frames) < 2 || len(frames) > 48 || len(frames[0]) == 0 {
		return 0, false
	}
	toc := frames[0][0]
	need := 2
	for i, f := range frames {
		if len(f) == 0 || f[0] != toc || toc&3 != 0 {
			return 0, false
		}
		need += len(f) - 1
		if i < len(frames)-1 {
			need += lengthBytes(len(f) - 1)
		}
	}
	if need > len(dst) {
		return 0, false
	}
	dst[0] = toc | 3
	dst[1] = 0x80 | byte(len(frames)) // VBR, no padding, M frames
	n := 2
	for _, f := range frames[:len(frames)-1] {
		n += putLength(dst[n:], len(f)-1)
	}
	for _, f := range frames {
		n += copy(dst[n:], f[1:])
	}
	return n, true
}

// lengthBytes is how many bytes RFC 6716 §3.2.1 takes for a frame length.
func lengthBytes(l int) int {
	if l < 252 {
		return 1
	}
	return 2
}

// putLength writes a frame length as §3.2.1 codes it (l ≤ 1275).
func putLength(dst []byte, l int) int {
	if l < 252 {
		dst[0] = byte(l)
		return 1
	}
	first := 252 + l&3
	dst[0], dst[1] = byte(first), byte((l-first)/4)
	return 2
}
