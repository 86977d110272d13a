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

// Coders makes the Opus coders the mixer needs. Coders are created only
// for participants who talk and are recycled when they stop, so a room's
// codec memory follows the number of talkers, not of participants.
type Coders interface {
	NewDecoder() (Decoder, error)
	NewEncoder() (Encoder, error)
}

// Tuner is implemented by Coders whose encoder settings (bitrate,
// complexity) can change while a room runs: Tune applies the current
// settings to an encoder made earlier. sfu.OpusCodecs implements it.
type Tuner interface {
	Tune(Encoder) error
}
