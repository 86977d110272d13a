package codec

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

// down48 runs pcm at 48 kHz through r in 20 ms frames.
func down48(t *testing.T, r *Resampler, pcm []int16) []int16 {
	t.Helper()
	var out []int16
	dst := make([]int16, G711FrameSamples)
	for off := 0; off+OpusFrameSamples <= len(pcm); off += OpusFrameSamples {
		n := r.Downsample48to8(dst, pcm[off:off+OpusFrameSamples])
		if n != G711FrameSamples {
			t.Fatalf("Downsample48to8 wrote %d samples, want %d", n, G711FrameSamples)
		}
		out = append(out, dst[:n]...)
	}
	return out
}

// up8 runs pcm at 8 kHz through r in 20 ms frames.
func up8(t *testing.T, r *Resampler, pcm []int16) []int16 {
	t.Helper()
	var out []int16
	dst := make([]int16, OpusFrameSamples)
	for off := 0; off+G711FrameSamples <= len(pcm); off += G711FrameSamples {
		n := r.Upsample8to48(dst, pcm[off:off+G711FrameSamples])
		if n != OpusFrameSamples {
			t.Fatalf("Upsample8to48 wrote %d samples, want %d", n, OpusFrameSamples)
		}
		out = append(out, dst[:n]...)
	}
	return out
}

// settled drops the first 100 ms (filter start-up) of x at rate.
func settled(x []int16, rate int) []float64 {
	return channel(x[rate/10:], 1, 0)
}

// Pass-band tones keep their level through 48 → 8 → 48 kHz; the round trip
// passes the low-pass twice.
func TestResampleRoundTrip(t *testing.T) {
	tests := []struct {
		freq     float64
		tol      float64 // dB, each pass
		imageTol float64 // dB, largest image/alias allowed relative to the tone
	}{
		{300, 0.1, -50},
		{1000, 0.1, -50},
		{2000, 0.1, -50},
		{3000, 0.5, -50},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%.0fHz", tt.freq), func(t *testing.T) {
			const level = -6
			var r Resampler
			in := sine(OpusSampleRate, 1, OpusSampleRate, tt.freq, level)
			mid := down48(t, &r, in)
			out := up8(t, &r, mid)
			midLvl := toneDBFS(settled(mid, G711SampleRate), tt.freq, G711SampleRate)
			x := settled(out, OpusSampleRate)
			outLvl := toneDBFS(x, tt.freq, OpusSampleRate)
			image := toneDBFS(x, G711SampleRate-tt.freq, OpusSampleRate) - outLvl
			snr := toneSNR(x, tt.freq, OpusSampleRate)
			t.Logf("8 kHz %.2f dBFS, 48 kHz %.2f dBFS, image at %.0f Hz %.1f dB, SNR %.1f dB",
				midLvl, outLvl, G711SampleRate-tt.freq, image, snr)
			if math.Abs(midLvl-level) > tt.tol || math.Abs(outLvl-level) > 2*tt.tol {
				t.Errorf("level %.2f dBFS at 8 kHz, %.2f after the round trip; want %d ± %.1f / %.1f",
					midLvl, outLvl, level, tt.tol, 2*tt.tol)
			}
			if image > tt.imageTol {
				t.Errorf("image %.1f dB, want ≤ %.0f", image, tt.imageTol)
			}
			if snr < 40 {
				t.Errorf("SNR %.1f dB, want ≥ 40", snr)
			}
		})
	}
}

// Stop-band tones at 48 kHz must not alias into the 8 kHz signal.
func TestResampleAntiAlias(t *testing.T) {
	tests := []struct {
		freq, minAtten float64
	}{
		{4500, 30},
		{6000, 30},
		{9000, 30},
		{12000, 30},
		{23000, 30},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%.0fHz", tt.freq), func(t *testing.T) {
			const level = -3
			var r Resampler
			mid := down48(t, &r, sine(OpusSampleRate, 1, OpusSampleRate, tt.freq, level))
			alias := math.Abs(math.Remainder(tt.freq, G711SampleRate))
			x := settled(mid, G711SampleRate)
			atten := level - toneDBFS(x, alias, G711SampleRate)
			total := level - rmsDBFS(x)
			t.Logf("%.0f Hz aliases to %.0f Hz: %.1f dB down (all output %.1f dB down)", tt.freq, alias, atten, total)
			if atten < tt.minAtten || total < tt.minAtten {
				t.Fatalf("attenuated %.1f dB (total %.1f), want ≥ %.0f", atten, total, tt.minAtten)
			}
		})
	}
}

// Images of the 8 kHz signal must be filtered out when upsampling.
func TestResampleAntiImage(t *testing.T) {
	for _, freq := range []float64{1000, 3000} {
		t.Run(fmt.Sprintf("%.0fHz", freq), func(t *testing.T) {
			var r Resampler
			out := up8(t, &r, sine(G711SampleRate, 1, G711SampleRate, freq, -3))
			x := settled(out, OpusSampleRate)
			tone := toneDBFS(x, freq, OpusSampleRate)
			for _, img := range []float64{8000 - freq, 8000 + freq, 16000 - freq, 24000 - freq} {
				if d := tone - toneDBFS(x, img, OpusSampleRate); d < 40 {
					t.Errorf("image at %.0f Hz only %.1f dB below the tone", img, d)
				}
			}
		})
	}
}

// Any chunking of the input gives the same output as 20 ms frames: the
// phase and history carry across calls.
func TestResampleChunking(t *testing.T) {
	in := sine(OpusSampleRate/5, 1, OpusSampleRate, 700, -10)
	var whole Resampler
	wantDown := down48(t, &whole, in)
	wantUp := up8(t, &whole, wantDown)

	var r Resampler
	var gotDown, gotUp []int16
	dst := make([]int16, 1000)
	for off, step := 0, 1; off < len(in); off, step = off+step, step%37+1 {
		end := min(off+step, len(in))
		n := r.Downsample48to8(dst, in[off:end])
		gotDown = append(gotDown, dst[:n]...)
	}
	for off, step := 0, 1; off < len(wantDown); off, step = off+step, step%11+1 {
		end := min(off+step, len(wantDown))
		n := r.Upsample8to48(dst, wantDown[off:end])
		gotUp = append(gotUp, dst[:n]...)
	}
	if !slices.Equal(gotDown, wantDown) {
		t.Errorf("chunked downsampling differs (%d vs %d samples)", len(gotDown), len(wantDown))
	}
	if !slices.Equal(gotUp, wantUp) {
		t.Errorf("chunked upsampling differs (%d vs %d samples)", len(gotUp), len(wantUp))
	}
}

// A short dst is filled, never overrun.
func TestResampleShortDst(t *testing.T) {
	var r Resampler
	src := sine(OpusFrameSamples, 1, OpusSampleRate, 440, -6)
	tests := []struct {
		name      string
		run       func(dst []int16) int
		dst, want int
	}{
		{"down nil", func(d []int16) int { return r.Downsample48to8(d, src) }, 0, 0},
		{"down 7", func(d []int16) int { return r.Downsample48to8(d, src) }, 7, 7},
		{"up nil", func(d []int16) int { return r.Upsample8to48(d, src[:160]) }, 0, 0},
		{"up 13", func(d []int16) int { return r.Upsample8to48(d, src[:160]) }, 13, 12},
		{"up empty src", func(d []int16) int { return r.Upsample8to48(d, nil) }, 10, 0},
	}
	for _, tt := range tests {
		if got := tt.run(make([]int16, tt.dst)); got != tt.want {
			t.Errorf("%s: wrote %d, want %d", tt.name, got, tt.want)
		}
	}
}

// Full-scale input must saturate, not wrap.
func TestResampleClips(t *testing.T) {
	var r Resampler
	in := make([]int16, OpusFrameSamples*5)
	for i := range in {
		in[i] = math.MaxInt16 // DC at full scale; Gibbs overshoot at the start
		if (i/240)%2 == 1 {
			in[i] = math.MinInt16 // 100 Hz square wave
		}
	}
	mid := down48(t, &r, in)
	out := up8(t, &r, mid)
	for i := 1; i < len(out); i++ {
		if d := abs(int(out[i]) - int(out[i-1])); d > 20000 {
			t.Fatalf("sample %d jumps by %d: wrapped around", i, d)
		}
	}
}

// lowpassDB is the low-pass filter's gain at freq (48 kHz), in dB.
func lowpassDB(freq float64) float64 {
	var re, im float64
	for n, h := range lowpass {
		w := 2 * math.Pi * freq / OpusSampleRate * float64(n)
		re += float64(h) * math.Cos(w)
		im -= float64(h) * math.Sin(w)
	}
	return 10 * math.Log10(re*re+im*im)
}

func TestLowpassResponse(t *testing.T) {
	tests := []struct {
		name       string
		from, to   float64 // Hz, scanned in 10 Hz steps
		minDB, max float64
	}{
		{"pass band", 0, 3300, -0.05, 0.05},
		{"telephone edge", 3400, 3400, -0.2, 0},
		{"transition", 3800, 3800, -6.5, -5.5},
		{"stop band", 4400, 24000, -400, -58},
	}
	for _, tt := range tests {
		worstLo, worstHi := math.Inf(1), math.Inf(-1)
		for f := tt.from; f <= tt.to; f += 10 {
			g := lowpassDB(f)
			worstLo, worstHi = min(worstLo, g), max(worstHi, g)
		}
		t.Logf("%s %.0f..%.0f Hz: %.2f..%.2f dB", tt.name, tt.from, tt.to, worstLo, worstHi)
		if worstLo < tt.minDB || worstHi > tt.max {
			t.Errorf("%s: gain %.2f..%.2f dB, want %.2f..%.2f", tt.name, worstLo, worstHi, tt.minDB, tt.max)
		}
	}
}
