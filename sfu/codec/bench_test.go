package codec

import (
	"math"
	"math/rand/v2"
	"testing"
)

// benchVoice is one second of mono 48 kHz test "speech": two harmonics
// with a syllabic envelope plus a little noise, so the encoders do real
// work.
func benchVoice() []int16 {
	rng := rand.New(rand.NewPCG(1, 2))
	out := make([]int16, OpusSampleRate)
	for i := range out {
		tt := float64(i) / OpusSampleRate
		env := 0.5 + 0.5*math.Sin(2*math.Pi*4*tt)
		v := env*(6000*math.Sin(2*math.Pi*180*tt)+3000*math.Sin(2*math.Pi*720*tt)) + 300*rng.NormFloat64()
		out[i] = int16(v)
	}
	return out
}

// opusBenchPackets encodes benchVoice into 50 packets with enc.
func opusBenchPackets(tb testing.TB, enc Encoder) [][]byte {
	pcm := benchVoice()
	var pkts [][]byte
	for off := 0; off < len(pcm); off += OpusFrameSamples {
		p := make([]byte, MaxOpusPayload)
		n, err := enc.Encode(pcm[off:off+OpusFrameSamples], p)
		if err != nil {
			tb.Fatal(err)
		}
		pkts = append(pkts, p[:n])
	}
	return pkts
}

// newBenchEncoder makes a mono 48 kHz VoIP encoder at 32 kb/s (hybrid mode
// in both libraries), complexity 10 (both default to 9), with in-band FEC
// for lossPercent.
func newBenchEncoder(tb testing.TB, impl opusImpl, lossPercent int) Encoder {
	enc, err := impl.newEnc(OpusSampleRate, 1, VoIP)
	if err != nil {
		tb.Fatal(err)
	}
	if err := enc.(FECEncoder).SetPacketLoss(lossPercent); err != nil {
		tb.Fatal(err)
	}
	if err := enc.SetBitrate(32000); err != nil {
		tb.Fatal(err)
	}
	if err := enc.SetComplexity(10); err != nil {
		tb.Fatal(err)
	}
	return enc
}

// BenchmarkOpusEncode: one 20 ms mono 48 kHz frame, VoIP, 32 kb/s, at
// complexity 10 without and with in-band FEC, and at complexity 5.
func BenchmarkOpusEncode(b *testing.B) {
	pcm := benchVoice()
	for _, impl := range opusImpls {
		for _, mode := range []struct {
			name             string
			loss, complexity int
		}{{"c10", 0, 10}, {"c10+fec", 10, 10}, {"c5", 0, 5}} {
			b.Run(impl.name+"/"+mode.name, func(b *testing.B) {
				enc := newBenchEncoder(b, impl, mode.loss)
				if err := enc.SetComplexity(mode.complexity); err != nil {
					b.Fatal(err)
				}
				benchEncodeFrames(b, enc, pcm)
			})
		}
	}
}

// benchEncodeFrames encodes pcm's 20 ms frames in turn, one per
// iteration, reporting allocations.
func benchEncodeFrames(b *testing.B, enc Encoder, pcm []int16) {
	frames := len(pcm) / OpusFrameSamples
	out := make([]byte, MaxOpusPayload)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		f := i % frames * OpusFrameSamples
		if _, err := enc.Encode(pcm[f:f+OpusFrameSamples], out); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkOpusDecode: one 20 ms mono 48 kHz packet from the same
// implementation's encoder; "plc" conceals one frame after each decoded
// one, "fec" rebuilds one from the next packet's LBRR before decoding it
// (per op: a decode plus a concealment).
func BenchmarkOpusDecode(b *testing.B) {
	for _, impl := range opusImpls {
		pkts := opusBenchPackets(b, newBenchEncoder(b, impl, 0))
		fecPkts := opusBenchPackets(b, newBenchEncoder(b, impl, 10))
		for _, mode := range []struct {
			name string
			run  func(dec Decoder, i int, pcm []int16) error
		}{
			{"decode", func(dec Decoder, i int, pcm []int16) error {
				_, err := dec.Decode(pkts[i%len(pkts)], pcm)
				return err
			}},
			{"decode+plc", func(dec Decoder, i int, pcm []int16) error {
				if _, err := dec.Decode(pkts[i%len(pkts)], pcm); err != nil {
					return err
				}
				_, err := dec.DecodeLoss(nil, pcm)
				return err
			}},
			{"fec+decode", func(dec Decoder, i int, pcm []int16) error {
				p := fecPkts[i%len(fecPkts)]
				if _, err := dec.DecodeLoss(p, pcm); err != nil {
					return err
				}
				_, err := dec.Decode(p, pcm)
				return err
			}},
		} {
			b.Run(impl.name+"/"+mode.name, func(b *testing.B) {
				dec, err := impl.newDec(OpusSampleRate, 1)
				if err != nil {
					b.Fatal(err)
				}
				pcm := make([]int16, OpusFrameSamples)
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					if err := mode.run(dec, i, pcm); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
		}
	}
}

func BenchmarkG711(b *testing.B) {
	pcm := make([]int16, G711FrameSamples)
	copy(pcm, benchVoice()[:G711FrameSamples])
	payload := make([]byte, G711FrameSamples)
	for _, c := range g711Codecs {
		b.Run(c.name+"/encode", func(b *testing.B) {
			enc := c.newEnc()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := enc.Encode(pcm, payload); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/decode", func(b *testing.B) {
			dec := c.newDec()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := dec.Decode(payload, pcm); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkResample(b *testing.B) {
	in48 := benchVoice()[:OpusFrameSamples]
	out8 := make([]int16, G711FrameSamples)
	out48 := make([]int16, OpusFrameSamples)
	var r Resampler
	b.Run("48to8", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r.Downsample48to8(out8, in48)
		}
	})
	b.Run("8to48", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r.Upsample8to48(out48, out8)
		}
	})
}
