package codec

import (
	"fmt"
	"math"
	"testing"
)

// The mixer's encoder settings (policy.mixer.complexity and bitrate): what
// each does to quality. BenchmarkOpusSettings measures what each costs;
// docs/benchmarks.md "Opus encoder settings" has both side by side.

// settingComplexities and settingBitrates span the policy's useful range.
var (
	settingComplexities = []int{0, 1, 3, 5, 8, 10}
	settingBitrates     = []int{16000, 24000, 32000, 48000}
)

// speechSeconds is how much speech-like signal a quality check encodes.
const speechSeconds = 1

// speechLike returns n samples of mono 48 kHz voiced "speech": a harmonic
// series up to 4 kHz on a pitch gliding between 110 and 210 Hz, shaped by
// three formant peaks that move with the syllables, under a 4 Hz syllabic
// envelope that dips to near silence, peaking near −12 dBFS. It has no
// noise, so a codec that keeps the waveform scores a high SNR and one that
// does not cannot hide behind the signal's own noise.
func speechLike(n int) []int16 {
	const rate = OpusSampleRate
	out := make([]int16, n)
	var phase float64
	for i := range out {
		t := float64(i) / rate
		f0 := 160 + 50*math.Sin(2*math.Pi*0.7*t)
		phase += 2 * math.Pi * f0 / rate
		syll := math.Sin(2 * math.Pi * 4 * t)
		env := math.Pow(0.5+0.5*syll, 1.5)
		formants := [3]float64{600 + 200*syll, 1300 - 300*syll, 2500}
		var v float64
		for h := 1; float64(h)*f0 < 4000; h++ {
			f := float64(h) * f0
			var w float64
			for _, fm := range formants {
				d := (f - fm) / 150
				w += math.Exp(-d * d)
			}
			v += (0.15 + w) / float64(h) * math.Sin(float64(h)*phase)
		}
		out[i] = int16(math.Round(4500 * env * v))
	}
	return out
}

// fidelity is how close decoded audio is to what was encoded.
type fidelity struct {
	delay int     // codec delay found, samples
	corr  float64 // normalised correlation at that delay
	snr   float64 // dB: input power over the power of the difference
}

func (f fidelity) String() string {
	return fmt.Sprintf("delay %d, correlation %.4f, SNR %.1f dB", f.delay, f.corr, f.snr)
}

// alignSamples is how much signal the delay search correlates (250 ms,
// over a full syllable): the delay is fixed per codec, so searching every
// lag over the whole signal only cost time (2.5 minutes for the 48
// settings under -race).
const alignSamples = OpusSampleRate / 4

// compare aligns out to in (the lag up to maxLag with the highest
// correlation over alignSamples: the codec's delay) and measures
// correlation and SNR at that lag over in from skip on.
func compare(in, out []int16, skip, maxLag int) fidelity {
	n := len(in) - skip - maxLag
	best := fidelity{corr: -2}
	for lag := 0; lag <= maxLag; lag++ {
		if c := correlation(in, out, skip, min(n, alignSamples), lag); c > best.corr {
			best = fidelity{delay: lag, corr: c}
		}
	}
	best.corr = correlation(in, out, skip, n, best.delay)
	var sig, diff float64
	for i := skip; i < skip+n; i++ {
		x, y := float64(in[i]), float64(out[i+best.delay])
		sig, diff = sig+x*x, diff+(x-y)*(x-y)
	}
	best.snr = 10 * math.Log10(sig/max(diff, 1e-9))
	return best
}

// correlation is the normalised correlation of in[skip:skip+n] with out
// lag samples later.
func correlation(in, out []int16, skip, n, lag int) float64 {
	var xy, xx, yy float64
	for i := skip; i < skip+n; i++ {
		x, y := float64(in[i]), float64(out[i+lag])
		xy, xx, yy = xy+x*y, xx+x*x, yy+y*y
	}
	return xy / math.Sqrt(max(xx*yy, 1e-9))
}

// encodeDecode runs pcm through a mono VoIP encoder at complexity c and
// bps, and the same implementation's decoder.
func encodeDecode(t *testing.T, impl opusImpl, pcm []int16, c, bps int) []int16 {
	t.Helper()
	enc, err := impl.newEnc(OpusSampleRate, 1, VoIP)
	if err != nil {
		t.Fatal(err)
	}
	if err := enc.SetBitrate(bps); err != nil {
		t.Fatal(err)
	}
	if err := enc.SetComplexity(c); err != nil {
		t.Fatal(err)
	}
	dec, err := impl.newDec(OpusSampleRate, 1)
	if err != nil {
		t.Fatal(err)
	}
	return roundTrip(t, enc, dec, pcm, 1)
}

// settingFloor is the lowest correlation and SNR (dB) each setting must
// reach on one second of speechLike in both implementations, indexed like
// settingComplexities: the lower of the two measured here (2026-12-07,
// gopus v0.1.1 and libopus 1.3.1) less 0.01 and 1 dB, rounded down. A
// quality regression in either library at any setting shows up as a miss.
var settingFloor = map[int][6]struct{ corr, snr float64 }{
	16000: {{0.94, 9.5}, {0.94, 9.5}, {0.94, 9.5}, {0.95, 10.5}, {0.96, 11.0}, {0.96, 11.0}},
	24000: {{0.95, 10.0}, {0.95, 10.0}, {0.96, 11.0}, {0.96, 11.5}, {0.96, 11.5}, {0.96, 11.5}},
	32000: {{0.95, 11.0}, {0.95, 10.5}, {0.96, 11.5}, {0.96, 12.0}, {0.96, 12.0}, {0.96, 12.0}},
	48000: {{0.96, 12.0}, {0.96, 11.5}, {0.96, 12.0}, {0.96, 12.5}, {0.96, 12.5}, {0.96, 12.5}},
}

// TestOpusSettingsQuality encodes a second of speech-like audio at each
// complexity and bitrate the policy documents, decodes it, aligns the
// codec delay (309 samples, 6.4 ms, in both libraries) and checks
// correlation and SNR against the floor for that setting.
func TestOpusSettingsQuality(t *testing.T) {
	pcm := speechLike(speechSeconds * OpusSampleRate)
	for _, impl := range opusImpls {
		for _, bps := range settingBitrates {
			for ci, c := range settingComplexities {
				t.Run(fmt.Sprintf("%s/%dk/c%d", impl.name, bps/1000, c), func(t *testing.T) {
					out := encodeDecode(t, impl, pcm, c, bps)
					f := compare(pcm, out, warmFrames*OpusFrameSamples, OpusFrameSamples)
					t.Logf("%s %dk c%d: %v", impl.name, bps/1000, c, f)
					floor := settingFloor[bps][ci]
					if f.corr < floor.corr || f.snr < floor.snr {
						t.Errorf("%v; want correlation ≥ %.2f and SNR ≥ %.1f dB", f, floor.corr, floor.snr)
					}
				})
			}
		}
	}
}

// BenchmarkOpusSettings: one 20 ms mono 48 kHz frame of speechLike, VoIP,
// at each complexity and bitrate of TestOpusSettingsQuality: what the
// mixer pays per encoded frame (a room encodes one per talker and one
// shared, every 20 ms).
func BenchmarkOpusSettings(b *testing.B) {
	pcm := speechLike(OpusSampleRate)
	for _, impl := range opusImpls {
		for _, bps := range settingBitrates {
			for _, c := range settingComplexities {
				b.Run(fmt.Sprintf("%s/%dk/c%d", impl.name, bps/1000, c), func(b *testing.B) {
					enc, err := impl.newEnc(OpusSampleRate, 1, VoIP)
					if err != nil {
						b.Fatal(err)
					}
					if err := enc.SetBitrate(bps); err != nil {
						b.Fatal(err)
					}
					if err := enc.SetComplexity(c); err != nil {
						b.Fatal(err)
					}
					benchEncodeFrames(b, enc, pcm)
				})
			}
		}
	}
}
