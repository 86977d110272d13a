package codec

// OpusPacketSamples is the media an Opus packet carries, in 48 kHz samples,
// read from its TOC byte (RFC 6716 §3.1: the configuration gives the frame
// size, the code the frame count); 0 for a malformed packet. It decodes
// nothing, so the forwarding path, the recorder and the SIP transcoder can
// all follow media time per packet at no cost.
func OpusPacketSamples(payload []byte) uint32 {
	if len(payload) == 0 {
		return 0
	}
	toc := payload[0]
	config := toc >> 3
	var frame uint32
	switch {
	case config < 12: // SILK: 10, 20, 40, 60 ms
		frame = [4]uint32{480, 960, 1920, 2880}[config&3]
	case config < 16: // hybrid: 10, 20 ms
		frame = [2]uint32{480, 960}[config&1]
	default: // CELT: 2.5, 5, 10, 20 ms
		frame = [4]uint32{120, 240, 480, 960}[config&3]
	}
	switch toc & 3 {
	case 0:
		return frame
	case 1, 2:
		return 2 * frame
	}
	if len(payload) < 2 {
		return 0
	}
	return uint32(payload[1]&0x3f) * frame
}
