package audiolevel

import "math"

// fullScaleSq is the square of 16-bit full scale (32768), the 0 dBov reference.
const fullScaleSq = 32768.0 * 32768.0

// FromPCM returns the RFC 6464 level of one frame of 16-bit PCM: the frame's
// RMS relative to full scale (32768) in −dBov, rounded to the nearest integer
// and clamped to 0..127. An empty or all-zero frame is Silence (127).
//
// This is the level browsers put in the audio-level header extension, so legs
// that do not send the extension (SIP legs, decoded audio) can be metered on
// the same scale: a full-scale sine is 3, a sine peaking at −20 dBFS is 23.
// It does not allocate.
func FromPCM(samples []int16) uint8 {
	if len(samples) == 0 {
		return Silence
	}
	// Each square is at most 2^30, so a uint64 sum cannot overflow below
	// 2^34 samples (about 99 hours at 48 kHz in one frame).
	var sum uint64
	for _, s := range samples {
		v := int64(s)
		sum += uint64(v * v)
	}
	if sum == 0 {
		return Silence
	}
	meanSq := float64(sum) / float64(len(samples))
	level := math.Round(-10 * math.Log10(meanSq/fullScaleSq))
	switch {
	case level <= 0:
		return 0
	case level >= float64(Silence):
		return Silence
	}
	return uint8(level)
}
