package codec

import (
	"math"
	"testing"
)

// Test signals and a Goertzel tone detector.

// dBFSAmp is the peak amplitude of a sine at level dBFS.
func dBFSAmp(dBFS float64) float64 { return 32768 * math.Pow(10, dBFS/20) }

// sine returns n samples (per channel, interleaved over channels) of a
// freq Hz sine at level dBFS, starting at phase 0.
func sine(n, channels, rate int, freq, dBFS float64) []int16 {
	amp := dBFSAmp(dBFS)
	out := make([]int16, n*channels)
	for i := range n {
		v := int16(math.Round(amp * math.Sin(2*math.Pi*freq*float64(i)/float64(rate))))
		for c := range channels {
			out[i*channels+c] = v
		}
	}
	return out
}

// channel extracts channel c of interleaved pcm as float64.
func channel(pcm []int16, channels, c int) []float64 {
	out := make([]float64, len(pcm)/channels)
	for i := range out {
		out[i] = float64(pcm[i*channels+c])
	}
	return out
}

// toneDBFS measures the level of the freq Hz component of x, in dBFS of a
// sine's peak, with a Hann-windowed Goertzel filter.
func toneDBFS(x []float64, freq float64, rate int) float64 {
	w := 2 * math.Pi * freq / float64(rate)
	coeff := 2 * math.Cos(w)
	var s1, s2, wsum float64
	n := len(x)
	for i, v := range x {
		win := 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(n-1))
		wsum += win
		s0 := v*win + coeff*s1 - s2
		s2, s1 = s1, s0
	}
	power := s1*s1 + s2*s2 - coeff*s1*s2
	amp := 2 * math.Sqrt(max(power, 0)) / wsum
	return 20 * math.Log10(max(amp, 1e-9)/32768)
}

// rmsDBFS is x's RMS level in dBFS of a full-scale sine (so a sine at
// L dBFS reads L).
func rmsDBFS(x []float64) float64 {
	var sum float64
	for _, v := range x {
		sum += v * v
	}
	rms := math.Sqrt(sum / float64(max(len(x), 1)))
	return 20 * math.Log10(max(rms*math.Sqrt2, 1e-9)/32768)
}

// toneSNR fits a freq Hz sine (amplitude and phase, least squares) to x
// and returns its power over the power of what is left, in dB. x must
// span a whole number of cycles.
func toneSNR(x []float64, freq float64, rate int) float64 {
	var c, s float64
	w := 2 * math.Pi * freq / float64(rate)
	for i, v := range x {
		c += v * math.Cos(w*float64(i))
		s += v * math.Sin(w*float64(i))
	}
	c, s = 2*c/float64(len(x)), 2*s/float64(len(x))
	var tone, rest float64
	for i, v := range x {
		fit := c*math.Cos(w*float64(i)) + s*math.Sin(w*float64(i))
		tone += fit * fit
		rest += (v - fit) * (v - fit)
	}
	return 10 * math.Log10(tone/max(rest, 1e-9))
}

// The detector must tell tones apart, or the codec tests prove nothing.
func TestGoertzel(t *testing.T) {
	const rate = 48000
	tests := []struct {
		name        string
		freq, level float64
		probe       float64
		want        float64 // dBFS, ±0.2
	}{
		{"440 at 440", 440, -20, 440, -20},
		{"1k at 1k", 1000, -6, 1000, -6},
		{"440 seen at 1k", 440, -20, 1000, -200},
		{"1k seen at 440", 1000, -20, 440, -200},
		{"6k at 6k", 6000, -3, 6000, -3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := channel(sine(rate, 1, rate, tt.freq, tt.level), 1, 0)
			got := toneDBFS(x, tt.probe, rate)
			if tt.want <= -200 {
				if got > tt.level-80 {
					t.Fatalf("%v Hz tone leaks into %v Hz probe at %.1f dBFS", tt.freq, tt.probe, got)
				}
				return
			}
			if math.Abs(got-tt.want) > 0.2 {
				t.Fatalf("level %.2f dBFS, want %.2f", got, tt.want)
			}
			if snr := toneSNR(x, tt.freq, rate); snr < 70 {
				t.Fatalf("clean tone has SNR %.1f dB, want ≥ 70 (16-bit rounding only)", snr)
			}
			noisy := make([]float64, len(x))
			for i := range x {
				noisy[i] = x[i] + dBFSAmp(tt.level-30)*math.Sin(2*math.Pi*3000*float64(i)/rate)
			}
			if snr := toneSNR(noisy, tt.freq, rate); math.Abs(snr-30) > 0.5 {
				t.Fatalf("tone plus a 30 dB weaker one has SNR %.1f dB, want 30", snr)
			}
		})
	}
}
