package codec

import "math"

// The 48 kHz ↔ 8 kHz resampler's anti-aliasing / anti-imaging low-pass: a
// linear-phase windowed-sinc FIR, 192 taps, cut-off (−6 dB) 3.8 kHz,
// Kaiser window β = 5.65. Gain is ±0.01 dB to 3.3 kHz and −0.08 dB at
// 3.4 kHz; from 4.4 kHz up it is at most −62 dB (TestLowpassResponse).
// Group delay is 95.5 samples at 48 kHz (2 ms) each way.
const (
	resampleRatio   = 6   // 48000 / 8000
	lowpassTaps     = 192 // a multiple of resampleRatio
	polyphaseTaps   = lowpassTaps / resampleRatio
	lowpassCutoffHz = 3800
	kaiserBeta      = 5.65
)

var (
	// lowpass has unity DC gain (for decimation); symmetric.
	lowpass = designLowpass()
	// polyphase[p][j] is the branch of lowpass that makes output phase p
	// of the upsampler from window sample j (oldest first), with gain 6.
	polyphase = splitPolyphase(&lowpass)
)

func designLowpass() [lowpassTaps]float32 {
	var h [lowpassTaps]float64
	fc := float64(lowpassCutoffHz) / (resampleRatio * G711SampleRate)
	mid := float64(lowpassTaps-1) / 2
	sum := 0.0
	for n := range h {
		x := float64(n) - mid
		h[n] = 2 * fc * sinc(2*fc*x) * kaiser(x/mid, kaiserBeta)
		sum += h[n]
	}
	var out [lowpassTaps]float32
	for n := range h {
		out[n] = float32(h[n] / sum)
	}
	return out
}

func splitPolyphase(h *[lowpassTaps]float32) [resampleRatio][polyphaseTaps]float32 {
	var p [resampleRatio][polyphaseTaps]float32
	for ph := range p {
		for j := range p[ph] {
			// y[6n+ph] = 6·Σk h[6k+ph]·x[n-k], window sample j is x[n-(M-1-j)].
			p[ph][j] = resampleRatio * h[resampleRatio*(polyphaseTaps-1-j)+ph]
		}
	}
	return p
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

// kaiser is the Kaiser window at r ∈ [-1, 1].
func kaiser(r, beta float64) float64 {
	return besselI0(beta*math.Sqrt(max(0, 1-r*r))) / besselI0(beta)
}

// besselI0 is the modified Bessel function of the first kind, order 0.
func besselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; k < 50 && term > 1e-12*sum; k++ {
		term *= (x / (2 * float64(k))) * (x / (2 * float64(k)))
		sum += term
	}
	return sum
}
