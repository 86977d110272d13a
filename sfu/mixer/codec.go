package mixer

// Decoder turns one payload into PCM; DecodeLoss conceals a lost frame,
// using next for forward error correction when it is known.
// sfu/codec's decoders satisfy it.
type Decoder interface {
	Decode(payload []byte, pcm []int16) (int, error)
	DecodeLoss(next []byte, pcm []int16) (int, error)
}

// Encoder turns one frame of PCM into a payload. sfu/codec's encoders
// satisfy it.
type Encoder interface {
	Encode(pcm []int16, out []byte) (int, error)
}
