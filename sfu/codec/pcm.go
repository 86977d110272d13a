package codec

import "math"

// toInt16 rounds v to the nearest integer and saturates it to int16.
func toInt16(v float32) int16 {
	switch {
	case v >= math.MaxInt16:
		return math.MaxInt16
	case v <= math.MinInt16:
		return math.MinInt16
	case v >= 0:
		return int16(v + 0.5)
	default:
		return int16(v - 0.5)
	}
}

// floatToInt16 converts normalised float PCM ([-1, 1]) to int16.
func floatToInt16(dst []int16, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = toInt16(v * 32768)
	}
}
