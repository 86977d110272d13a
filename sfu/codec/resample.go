package codec

// Resampler converts a G.711 leg between the 48 kHz mix and 8 kHz, through
// the low-pass in resample_filter.go. It keeps each direction's filter
// history across calls, so feed it consecutive frames of one stream; use
// one Resampler per leg (the two directions do not share state). The zero
// value is ready to use; it must not be copied after first use.
type Resampler struct {
	down      [2 * lowpassTaps]float32 // 48 kHz input history, stored twice
	downPos   int
	downPhase int                        // input samples since the last output
	up        [2 * polyphaseTaps]float32 // 8 kHz input history, stored twice
	upPos     int
}

// Downsample48to8 low-passes and decimates 48 kHz src into dst at 8 kHz and
// returns the samples written: len(src)/6 for a 20 ms frame (960 → 160);
// any length works, the phase carries over. If dst is too short, input stops
// being consumed once dst is full.
func (r *Resampler) Downsample48to8(dst, src []int16) int {
	n := 0
	for _, s := range src {
		if r.downPhase == resampleRatio-1 && n == len(dst) {
			break
		}
		w := r.pushDown(float32(s))
		r.downPhase++
		if r.downPhase < resampleRatio {
			continue
		}
		r.downPhase = 0
		dst[n] = toInt16(dot(w, lowpass[:]))
		n++
	}
	return n
}

// Upsample8to48 interpolates 8 kHz src into dst at 48 kHz and returns the
// samples written, 6·len(src) (160 → 960). If dst is too short, input stops
// being consumed once fewer than 6 samples of room remain.
func (r *Resampler) Upsample8to48(dst, src []int16) int {
	n := 0
	for _, s := range src {
		if len(dst)-n < resampleRatio {
			break
		}
		w := r.pushUp(float32(s))
		out := dst[n : n+resampleRatio]
		for p := range out {
			out[p] = toInt16(dot(w, polyphase[p][:]))
		}
		n += resampleRatio
	}
	return n
}

// pushDown appends s to the 48 kHz history and returns the last
// lowpassTaps inputs, oldest first.
func (r *Resampler) pushDown(s float32) []float32 {
	r.down[r.downPos] = s
	r.down[r.downPos+lowpassTaps] = s
	r.downPos++
	if r.downPos == lowpassTaps {
		r.downPos = 0
	}
	return r.down[r.downPos : r.downPos+lowpassTaps]
}

// pushUp appends s to the 8 kHz history and returns the last polyphaseTaps
// inputs, oldest first.
func (r *Resampler) pushUp(s float32) []float32 {
	r.up[r.upPos] = s
	r.up[r.upPos+polyphaseTaps] = s
	r.upPos++
	if r.upPos == polyphaseTaps {
		r.upPos = 0
	}
	return r.up[r.upPos : r.upPos+polyphaseTaps]
}

// dot returns Σ a[i]·b[i] over len(a) (b at least as long), four
// accumulators at a time.
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}
