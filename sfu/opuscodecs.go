package sfu

import (
	"xphone/sfu/codec"
	"xphone/sfu/mixer"
)

// OpusCodecs makes mono 48 kHz Opus coders for the mixer, with the build's
// Opus implementation (pure Go by default, libopus with the libopus tag).
// Its settings are applied as written: Complexity 0 is the cheapest
// encoder, not "the default" (the config supplies the default,
// configs.DefaultMixerComplexity).
type OpusCodecs struct {
	Bitrate    int // bits/s; 0 leaves the library's automatic bitrate
	Complexity int // 0..10
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
	if err := o.Tune(enc); err != nil {
		return nil, err
	}
	return enc, nil
}

// Tune applies o's bitrate and complexity to an encoder made earlier
// (mixer.Tuner), so that a policy reload reaches the rooms already
// running. An encoder without these settings is left alone.
func (o OpusCodecs) Tune(e mixer.Encoder) error {
	enc, ok := e.(codec.Encoder)
	if !ok {
		return nil
	}
	if o.Bitrate > 0 {
		if err := enc.SetBitrate(o.Bitrate); err != nil {
			return err
		}
	}
	return enc.SetComplexity(o.Complexity)
}
