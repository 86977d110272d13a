//go:build !libopus

package codec

const buildImplementation = "gopus"

func implName(v any) string {
	switch v.(type) {
	case *gopusEncoder, *gopusDecoder:
		return "gopus"
	default:
		return "unknown"
	}
}
