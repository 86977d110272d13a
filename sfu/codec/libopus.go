//go:build libopus

package codec

import (
	"errors"

	"gopkg.in/hraban/opus.v2"
)

// libopusEncoder is the cgo libopus encoder.
type libopusEncoder struct {
	enc      *opus.Encoder
	frameLen int // samples in one 20 ms frame, all channels
}

// NewLibopusEncoder returns a libopus (cgo) Opus encoder. It exists only in
// builds with the libopus tag.
func NewLibopusEncoder(sampleRate, channels int, app Application) (Encoder, error) {
	const op = "new libopus encoder"
	if err := checkOpusFormat(op, sampleRate, channels); err != nil {
		return nil, err
	}
	if err := checkApplication(op, app); err != nil {
		return nil, err
	}
	oapp := opus.AppAudio
	if app == VoIP {
		oapp = opus.AppVoIP
	}
	enc, err := opus.NewEncoder(sampleRate, channels, oapp)
	if err != nil {
		return nil, libError(op, ErrEncode, err)
	}
	return &libopusEncoder{enc: enc, frameLen: FrameSamples(sampleRate) * channels}, nil
}

func (e *libopusEncoder) Encode(pcm []int16, out []byte) (int, error) {
	const op = "libopus encode"
	if err := checkFrameLen(op, len(pcm), e.frameLen); err != nil {
		return 0, err
	}
	if err := checkOutLen(op, len(out), 1); err != nil {
		return 0, err
	}
	// hraban passes cap(out), not len(out), to libopus as the limit.
	n, err := e.enc.Encode(pcm, out[:len(out):len(out)])
	if err != nil {
		return 0, libError(op, libopusKind(err, ErrEncode), err)
	}
	return n, nil
}

func (e *libopusEncoder) SetBitrate(bps int) error {
	const op = "libopus set bitrate"
	if err := checkOpusBitrate(op, bps); err != nil {
		return err
	}
	if err := e.enc.SetBitrate(bps); err != nil {
		return libError(op, ErrInvalidBitrate, err)
	}
	return nil
}

func (e *libopusEncoder) SetComplexity(c int) error {
	const op = "libopus set complexity"
	if err := checkComplexity(op, c); err != nil {
		return err
	}
	if err := e.enc.SetComplexity(c); err != nil {
		return libError(op, ErrInvalidComplexity, err)
	}
	return nil
}

// SetPacketLoss implements FECEncoder.
func (e *libopusEncoder) SetPacketLoss(percent int) error {
	const op = "libopus set packet loss"
	if err := checkPacketLoss(op, percent); err != nil {
		return err
	}
	if err := e.enc.SetPacketLossPerc(percent); err != nil {
		return libError(op, ErrInvalidPacketLoss, err)
	}
	if err := e.enc.SetInBandFEC(percent > 0); err != nil {
		return libError(op, ErrInvalidPacketLoss, err)
	}
	return nil
}

// libopusDecoder is the cgo libopus decoder.
type libopusDecoder struct {
	dec  *opus.Decoder
	loss lossFrame
}

// NewLibopusDecoder returns a libopus (cgo) Opus decoder. It exists only in
// builds with the libopus tag.
func NewLibopusDecoder(sampleRate, channels int) (Decoder, error) {
	const op = "new libopus decoder"
	if err := checkOpusFormat(op, sampleRate, channels); err != nil {
		return nil, err
	}
	dec, err := opus.NewDecoder(sampleRate, channels)
	if err != nil {
		return nil, libError(op, ErrDecode, err)
	}
	return &libopusDecoder{dec: dec, loss: newLossFrame(sampleRate, channels)}, nil
}

func (d *libopusDecoder) Decode(payload []byte, pcm []int16) (int, error) {
	const op = "libopus decode"
	if err := checkPayload(op, payload); err != nil {
		return 0, err
	}
	// decodeBuffer caps the slice: hraban sizes the frame by cap(pcm).
	buf, err := decodeBuffer(op, pcm, d.loss.channels)
	if err != nil {
		return 0, err
	}
	n, err := d.dec.Decode(payload, buf)
	if err != nil {
		return 0, libError(op, libopusKind(err, ErrDecode), err)
	}
	d.loss.last = n
	return n, nil
}

func (d *libopusDecoder) DecodeLoss(next []byte, pcm []int16) (int, error) {
	const op = "libopus decode loss"
	out, err := d.loss.out(op, pcm)
	if err != nil {
		return 0, err
	}
	// libopus falls back to PLC itself when next carries no LBRR; a
	// malformed next is concealed without it.
	if len(next) > 0 && d.dec.DecodeFEC(next, out) == nil {
		return d.loss.last, nil
	}
	if err := d.dec.DecodePLC(out); err != nil {
		return 0, libError(op, libopusKind(err, ErrDecode), err)
	}
	return d.loss.last, nil
}

// libopusKind maps a libopus error to this package's sentinel, or fallback.
func libopusKind(err, fallback error) error {
	var oe opus.Error
	if !errors.As(err, &oe) {
		return fallback
	}
	switch oe {
	case opus.ErrBufferTooSmall:
		return ErrBufferTooSmall
	case opus.ErrInvalidPacket:
		return ErrInvalidPacket
	default:
		return fallback
	}
}
