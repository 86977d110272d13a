// Package codec holds the audio codecs the conference server mixes with:
// Opus for browsers and trunks, G.711 (PCMU/PCMA) for SIP trunks, and a
// 48 kHz ↔ 8 kHz resampler that joins a G.711 leg to the 48 kHz mix.
//
// Every codec is reached through two small interfaces, Encoder and Decoder,
// that work on 16-bit PCM in 20 ms frames. Opus has two implementations
// behind them:
//
//   - gopus (github.com/thesyncim/gopus), pure Go, the default build;
//   - libopus through cgo (gopkg.in/hraban/opus.v2), built with
//     -tags 'libopus nolibopusfile' and libopus-dev plus pkg-config installed.
//
// NewOpusEncoder and NewOpusDecoder return the build's implementation
// (see Implementation); NewGopusEncoder and NewGopusDecoder are always
// available, NewLibopusEncoder and NewLibopusDecoder only under the tag. The
// two interoperate: each decodes the other's packets.
//
// Encoders, decoders and Resamplers keep per-stream state and are not safe
// for concurrent use; give every stream its own. Their per-frame methods
// add no allocations of their own; libopus allocates nothing either, gopus
// v0.1.1 a few objects per concealed frame and per frame encoded with FEC
// (allocs_test.go lists them).
package codec
