package codec

import (
	"errors"

	"github.com/thesyncim/gopus"
)

// gopusEncoder is the pure-Go Opus encoder.
type gopusEncoder struct {
	enc      *gopus.Encoder
	frameLen int // samples in one 20 ms frame, all channels
	channels int
}

// NewGopusEncoder returns a pure-Go (gopus) Opus encoder, whatever the build.
func NewGopusEncoder(sampleRate, channels int, app Application) (Encoder, error) {
	const op = "new gopus encoder"
	if err := checkOpusFormat(op, sampleRate, channels); err != nil {
		return nil, err
	}
	if err := checkApplication(op, app); err != nil {
		return nil, err
	}
	gapp := gopus.ApplicationAudio
	if app == VoIP {
		gapp = gopus.ApplicationVoIP
	}
	enc, err := gopus.NewEncoder(gopus.EncoderConfig{
		SampleRate: sampleRate, Channels: channels, Application: gapp,
	})
	if err != nil {
		return nil, libError(op, ErrEncode, err)
	}
	return &gopusEncoder{enc: enc, frameLen: FrameSamples(sampleRate) * channels, channels: channels}, nil
}

func (e *gopusEncoder) Encode(pcm []int16, out []byte) (int, error) {
	const op = "gopus encode"
	if err := checkFrameLen(op, len(pcm), e.frameLen); err != nil {
		return 0, err
	}
	if err := checkOutLen(op, len(out), 1); err != nil {
		return 0, err
	}
	n, err := e.enc.EncodeInt16(pcm, out)
	if err != nil {
		return 0, libError(op, gopusKind(err, ErrEncode), err)
	}
	return n, nil
}

func (e *gopusEncoder) SetBitrate(bps int) error {
	const op = "gopus set bitrate"
	if err := checkOpusBitrate(op, bps); err != nil {
		return err
	}
	if err := e.enc.SetBitrate(bps); err != nil {
		return libError(op, ErrInvalidBitrate, err)
	}
	return nil
}

func (e *gopusEncoder) SetComplexity(c int) error {
	const op = "gopus set complexity"
	if err := checkComplexity(op, c); err != nil {
		return err
	}
	if err := e.enc.SetComplexity(c); err != nil {
		return libError(op, ErrInvalidComplexity, err)
	}
	return nil
}

// SetPacketLoss implements FECEncoder. For stereo it only tunes the encoder
// for the loss and leaves in-band FEC off: gopus v0.1.1 encodes stereo
// hybrid frames that carry LBRR wrongly (libopus and gopus both decode them
// at about −25 dB SNR); TestOpusFEC guards this.
func (e *gopusEncoder) SetPacketLoss(percent int) error {
	const op = "gopus set packet loss"
	if err := checkPacketLoss(op, percent); err != nil {
		return err
	}
	if err := e.enc.SetPacketLoss(percent); err != nil {
		return libError(op, ErrInvalidPacketLoss, err)
	}
	e.enc.SetFEC(percent > 0 && e.channels == 1)
	return nil
}

// gopusDecoder is the pure-Go Opus decoder.
type gopusDecoder struct {
	dec      *gopus.Decoder
	loss     lossFrame
	fecFloat []float32 // FEC output; gopus has no int16 FEC call
}

// NewGopusDecoder returns a pure-Go (gopus) Opus decoder, whatever the build.
func NewGopusDecoder(sampleRate, channels int) (Decoder, error) {
	const op = "new gopus decoder"
	if err := checkOpusFormat(op, sampleRate, channels); err != nil {
		return nil, err
	}
	dec, err := gopus.NewDecoder(gopus.DefaultDecoderConfig(sampleRate, channels))
	if err != nil {
		return nil, libError(op, ErrDecode, err)
	}
	return &gopusDecoder{
		dec:      dec,
		loss:     newLossFrame(sampleRate, channels),
		fecFloat: make([]float32, MaxOpusFrameSamples(sampleRate)*channels),
	}, nil
}

func (d *gopusDecoder) Decode(payload []byte, pcm []int16) (int, error) {
	const op = "gopus decode"
	if err := checkPayload(op, payload); err != nil {
		return 0, err
	}
	buf, err := decodeBuffer(op, pcm, d.loss.channels)
	if err != nil {
		return 0, err
	}
	n, err := d.dec.DecodeInt16(payload, buf)
	if err != nil {
		return 0, libError(op, gopusKind(err, ErrDecode), err)
	}
	d.loss.last = n
	return n, nil
}

func (d *gopusDecoder) DecodeLoss(next []byte, pcm []int16) (int, error) {
	const op = "gopus decode loss"
	out, err := d.loss.out(op, pcm)
	if err != nil {
		return 0, err
	}
	if len(next) > 0 && d.decodeFEC(next, out) {
		return d.loss.last, nil
	}
	n, err := d.dec.DecodeInt16(nil, out)
	if err != nil {
		return 0, libError(op, gopusKind(err, ErrDecode), err)
	}
	d.loss.last = n
	return n, nil
}

// decodeFEC rebuilds out from next's LBRR data and reports success; when
// next has none or is malformed the caller conceals with plain PLC, which
// costs less than gopus's own no-LBRR fallback inside DecodeWithFEC.
func (d *gopusDecoder) decodeFEC(next []byte, out []int16) bool {
	if !gopus.PacketHasLBRR(next) {
		return false
	}
	f := d.fecFloat[:len(out)]
	n, err := d.dec.DecodeWithFEC(next, f, true)
	if err != nil || n != d.loss.last {
		return false
	}
	floatToInt16(out, f)
	return true
}

// gopusKind maps a gopus error to this package's sentinel, or fallback.
func gopusKind(err, fallback error) error {
	switch {
	case errors.Is(err, gopus.ErrBufferTooSmall):
		return ErrBufferTooSmall
	case errors.Is(err, gopus.ErrInvalidPacket), errors.Is(err, gopus.ErrPacketTooShort),
		errors.Is(err, gopus.ErrPacketTooLarge):
		return ErrInvalidPacket
	case errors.Is(err, gopus.ErrInvalidFrameSize):
		return ErrInvalidFrameSize
	default:
		return fallback
	}
}
