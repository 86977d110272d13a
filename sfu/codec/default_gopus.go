//go:build !libopus

package codec

// Implementation names the Opus library NewOpusEncoder and NewOpusDecoder
// use in this build: "gopus" (pure Go) by default, "libopus" with the
// libopus build tag.
const Implementation = "gopus"

func newBuildOpusEncoder(sampleRate, channels int, app Application) (Encoder, error) {
	return NewGopusEncoder(sampleRate, channels, app)
}

func newBuildOpusDecoder(sampleRate, channels int) (Decoder, error) {
	return NewGopusDecoder(sampleRate, channels)
}
