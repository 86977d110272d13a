//go:build libopus

package codec

const buildImplementation = "libopus"

func init() {
	opusImpls = append(opusImpls, opusImpl{"libopus", NewLibopusEncoder, NewLibopusDecoder})
}

func implName(v any) string {
	switch v.(type) {
	case *gopusEncoder, *gopusDecoder:
		return "gopus"
	case *libopusEncoder, *libopusDecoder:
		return "libopus"
	default:
		return "unknown"
	}
}
