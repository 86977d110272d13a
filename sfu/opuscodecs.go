package sfu

import (
	"xphone/sfu/codec"
	"xphone/sfu/mixer"
)

// OpusCodecs makes mono 48 kHz Opus coders for the mixer, with the build's
// Opus implementation (pure Go by default, libopus with the libopus tag).
type OpusCodecs struct {
	Bitrate    int // bits/s; 0 keeps the encoder's default
	Complexity int // 0..10; 0 keeps the default
}

// NewDecoder returns a decoder of one participant's voice.
func (o OpusCodecs) NewDecoder() (mixer.Decoder, error) {
	return codec.NewOpusDecoder(codec.OpusSampleRate, 1)
}

// NewEncoder returns an encoder for one mixed stream.
func (o OpusCodecs) NewEncoder() (mixer.Encoder, error) {
	enc, err := codec.NewOpusEncoder(codec.OpusSampleRate, 1, codec.VoIP)
	if err != nil {
		return nil, err
	}
	if o.Bitrate > 0 {
		if err := enc.SetBitrate(o.Bitrate); err != nil {
			return nil, err
		}
	}
	if o.Complexity > 0 {
		if err := enc.SetComplexity(o.Complexity); err != nil {
			return nil, err
		}
	}
	return enc, nil
}
