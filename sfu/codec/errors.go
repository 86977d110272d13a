package codec

import "errors"

// Sentinel errors. Errors returned by this package wrap one of them (test
// with errors.Is) and, for failures inside gopus or libopus, also the
// library's own error.
var (
	// ErrInvalidSampleRate: the codec does not run at the requested rate.
	ErrInvalidSampleRate = errors.New("codec: invalid sample rate")
	// ErrInvalidChannels: the codec does not support the channel count.
	ErrInvalidChannels = errors.New("codec: invalid channel count")
	// ErrInvalidApplication: the Application is not VoIP or Audio.
	ErrInvalidApplication = errors.New("codec: invalid application")
	// ErrInvalidFrameSize: the PCM frame does not have the expected length.
	ErrInvalidFrameSize = errors.New("codec: invalid frame size")
	// ErrBufferTooSmall: the output buffer cannot hold the result.
	ErrBufferTooSmall = errors.New("codec: buffer too small")
	// ErrEmptyPayload: Decode was given no bytes (use DecodeLoss for a loss).
	ErrEmptyPayload = errors.New("codec: empty payload")
	// ErrInvalidPacket: the payload is not a valid packet for the codec.
	ErrInvalidPacket = errors.New("codec: invalid packet")
	// ErrInvalidBitrate: the bitrate is outside the codec's range.
	ErrInvalidBitrate = errors.New("codec: invalid bitrate")
	// ErrInvalidComplexity: the complexity is outside 0..10.
	ErrInvalidComplexity = errors.New("codec: invalid complexity")
	// ErrInvalidPacketLoss: the expected loss percentage is outside 0..100.
	ErrInvalidPacketLoss = errors.New("codec: invalid packet loss percentage")
	// ErrEncode: the codec library failed to encode a frame.
	ErrEncode = errors.New("codec: encode failed")
	// ErrDecode: the codec library failed to decode a payload.
	ErrDecode = errors.New("codec: decode failed")
)
