package codec

// G.711 companding laws (ITU-T G.711, after the public-domain Sun
// reference g711.c). Everything is table driven: decoding looks up one of
// 256 values, encoding looks up the top 14 (μ-law) or 13 (A-law) bits of
// the sample, which is all G.711 keeps.

const (
	ulawShift = 2 // μ-law encodes 14-bit linear PCM
	alawShift = 3 // A-law encodes 13-bit linear PCM
)

var (
	ulawDecodeTable = buildDecodeTable(ulawToLinear)
	alawDecodeTable = buildDecodeTable(alawToLinear)
	ulawEncodeTable = buildEncodeTable(ulawShift, linearToULaw)
	alawEncodeTable = buildEncodeTable(alawShift, linearToALaw)
)

// g711Law is one companding law as its two lookup tables.
type g711Law struct {
	name   string // "PCMU" or "PCMA", the RTP encoding name
	ops    g711Ops
	encode []byte      // indexed by uint16(sample) >> shift
	shift  uint        // ulawShift or alawShift
	decode *[256]int16 // indexed by the code byte
}

var (
	lawPCMU = g711Law{name: "PCMU", ops: newG711Ops("PCMU"),
		encode: ulawEncodeTable, shift: ulawShift, decode: &ulawDecodeTable}
	lawPCMA = g711Law{name: "PCMA", ops: newG711Ops("PCMA"),
		encode: alawEncodeTable, shift: alawShift, decode: &alawDecodeTable}
)

// g711Ops holds a law's operation names for errors, built once so the hot
// paths never concatenate strings.
type g711Ops struct{ encode, decode, loss, bitrate, complexity string }

func newG711Ops(name string) g711Ops {
	return g711Ops{
		encode:     name + " encode",
		decode:     name + " decode",
		loss:       name + " decode loss",
		bitrate:    name + " set bitrate",
		complexity: name + " set complexity",
	}
}

func (l *g711Law) encodeSample(s int16) byte {
	return l.encode[uint16(s)>>l.shift]
}

func buildDecodeTable(f func(byte) int16) [256]int16 {
	var t [256]int16
	for i := range t {
		t[i] = f(byte(i))
	}
	return t
}

// buildEncodeTable tabulates f over every (16-shift)-bit two's-complement
// input, indexed by the input's bit pattern.
func buildEncodeTable(shift uint, f func(int) byte) []byte {
	bits := 16 - shift
	t := make([]byte, 1<<bits)
	for i := range t {
		v := i
		if v >= 1<<(bits-1) { // sign-extend
			v -= 1 << bits
		}
		t[i] = f(v)
	}
	return t
}

// segment returns the index of the first end in ends that v does not
// exceed, or len(ends).
func segment(v int, ends *[8]int) int {
	for i, e := range ends {
		if v <= e {
			return i
		}
	}
	return len(ends)
}

var (
	ulawSegEnds = [8]int{0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF}
	alawSegEnds = [8]int{0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF}
)

// linearToULaw encodes a 14-bit sample (-8192..8191) to μ-law.
func linearToULaw(v int) byte {
	const bias, clip = 0x84 >> ulawShift, 8159
	mask := byte(0xFF)
	if v < 0 {
		v = -v
		mask = 0x7F
	}
	v = min(v, clip) + bias
	seg := segment(v, &ulawSegEnds)
	if seg >= 8 {
		return 0x7F ^ mask
	}
	return byte(seg<<4|(v>>(seg+1))&0x0F) ^ mask
}

// ulawToLinear decodes a μ-law code to 16-bit PCM.
func ulawToLinear(u byte) int16 {
	const bias = 0x84
	u = ^u
	t := (int(u&0x0F)<<3 + bias) << ((u & 0x70) >> 4)
	if u&0x80 != 0 {
		return int16(bias - t)
	}
	return int16(t - bias)
}

// linearToALaw encodes a 13-bit sample (-4096..4095) to A-law.
func linearToALaw(v int) byte {
	mask := byte(0xD5)
	if v < 0 {
		v = -v - 1
		mask = 0x55
	}
	seg := segment(v, &alawSegEnds)
	if seg >= 8 {
		return 0x7F ^ mask
	}
	shift := seg
	if seg < 2 {
		shift = 1
	}
	return byte(seg<<4|(v>>shift)&0x0F) ^ mask
}

// alawToLinear decodes an A-law code to 16-bit PCM.
func alawToLinear(a byte) int16 {
	a ^= 0x55
	t := int(a&0x0F) << 4
	switch seg := int(a&0x70) >> 4; seg {
	case 0:
		t += 8
	case 1:
		t += 0x108
	default:
		t = (t + 0x108) << (seg - 1)
	}
	if a&0x80 != 0 {
		return int16(t)
	}
	return int16(-t)
}
