package audiolevel

import "errors"

// ErrShortExtension is returned for an audio-level extension with no payload.
var ErrShortExtension = errors.New("audiolevel: extension payload is empty")

// Silence is the quietest level the RFC 6464 scale can express (−127 dBov).
const Silence uint8 = 127

// ParseExtension decodes the one-byte RFC 6464 client-to-mixer audio level
// header extension payload: the V bit (voice activity) and the level in −dBov.
// Bytes after the first are padding and ignored.
func ParseExtension(payload []byte) (level uint8, voice bool, err error) {
	if len(payload) == 0 {
		return Silence, false, ErrShortExtension
	}
	return payload[0] & 0x7f, payload[0]&0x80 != 0, nil
}

// MarshalExtension encodes a level (clamped to 127) and voice flag as the
// RFC 6464 payload byte.
func MarshalExtension(level uint8, voice bool) byte {
	if level > Silence {
		level = Silence
	}
	if voice {
		return level | 0x80
	}
	return level
}
