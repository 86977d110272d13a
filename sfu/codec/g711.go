package codec

import "fmt"

// G.711 runs at 8 kHz mono, one byte per sample, 64 kb/s.
const g711Bitrate = 64000

// g711Encoder implements Encoder for PCMU or PCMA.
type g711Encoder struct{ law *g711Law }

// NewPCMUEncoder returns a G.711 μ-law encoder (8 kHz mono).
func NewPCMUEncoder() Encoder { return &g711Encoder{law: &lawPCMU} }

// NewPCMAEncoder returns a G.711 A-law encoder (8 kHz mono).
func NewPCMAEncoder() Encoder { return &g711Encoder{law: &lawPCMA} }

// Encode encodes 1..MaxG711Samples samples (G711FrameSamples for 20 ms),
// one byte each.
func (e *g711Encoder) Encode(pcm []int16, out []byte) (int, error) {
	if err := checkG711Len(e.law.ops.encode, len(pcm)); err != nil {
		return 0, err
	}
	if err := checkOutLen(e.law.ops.encode, len(out), len(pcm)); err != nil {
		return 0, err
	}
	out = out[:len(pcm)]
	for i, s := range pcm {
		out[i] = e.law.encodeSample(s)
	}
	return len(pcm), nil
}

// SetBitrate accepts only G.711's fixed 64000 bps.
func (e *g711Encoder) SetBitrate(bps int) error {
	if bps != g711Bitrate {
		return fmt.Errorf("%w: %s: %d bps (G.711 is fixed at %d)",
			ErrInvalidBitrate, e.law.ops.bitrate, bps, g711Bitrate)
	}
	return nil
}

// SetComplexity validates c and otherwise does nothing.
func (e *g711Encoder) SetComplexity(c int) error {
	return checkComplexity(e.law.ops.complexity, c)
}

// g711Decoder implements Decoder for PCMU or PCMA, with repeat-and-fade
// concealment of lost frames.
type g711Decoder struct {
	law  *g711Law
	last [MaxG711Samples]int16 // last decoded frame
	n    int                   // its length
	lost int                   // frames concealed since it
}

// NewPCMUDecoder returns a G.711 μ-law decoder (8 kHz mono).
func NewPCMUDecoder() Decoder { return &g711Decoder{law: &lawPCMU, n: G711FrameSamples} }

// NewPCMADecoder returns a G.711 A-law decoder (8 kHz mono).
func NewPCMADecoder() Decoder { return &g711Decoder{law: &lawPCMA, n: G711FrameSamples} }

// Decode decodes 1..MaxG711Samples bytes into as many samples.
func (d *g711Decoder) Decode(payload []byte, pcm []int16) (int, error) {
	op := d.law.ops.decode
	if err := checkPayload(op, payload); err != nil {
		return 0, err
	}
	if len(payload) > MaxG711Samples {
		return 0, fmt.Errorf("%w: %s: %d bytes is over %d (120 ms)",
			ErrInvalidPacket, op, len(payload), MaxG711Samples)
	}
	if err := checkOutLen(op, len(pcm), len(payload)); err != nil {
		return 0, err
	}
	pcm = pcm[:len(payload)]
	for i, b := range payload {
		pcm[i] = d.law.decode[b]
	}
	d.n = copy(d.last[:], pcm)
	d.lost = 0
	return d.n, nil
}

// DecodeLoss repeats the last frame with a linear fade: the first lost
// frame fades from full to half level, the second from half to silence,
// later ones are silent. G.711 has no FEC, so next is ignored.
func (d *g711Decoder) DecodeLoss(_ []byte, pcm []int16) (int, error) {
	if err := checkOutLen(d.law.ops.loss, len(pcm), d.n); err != nil {
		return 0, err
	}
	fadeFrame(pcm[:d.n], d.last[:d.n], d.lost)
	d.lost = min(d.lost+1, 2) // silent from the third loss on
	return d.n, nil
}

// fadeFrame writes src faded by the lost-th step of a two-frame linear fade.
func fadeFrame(dst, src []int16, lost int) {
	const unity = 1 << 16
	start := max(0, unity-lost*unity/2)
	end := max(0, start-unity/2)
	n := len(src)
	dst = dst[:n]
	for i, s := range src {
		g := start + (end-start)*i/n
		dst[i] = int16(int(s) * g >> 16)
	}
}

func checkG711Len(op string, n int) error {
	if n < 1 || n > MaxG711Samples {
		return fmt.Errorf("%w: %s: %d samples (want 1..%d)", ErrInvalidFrameSize, op, n, MaxG711Samples)
	}
	return nil
}
