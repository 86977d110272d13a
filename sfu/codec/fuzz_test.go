package codec

import "testing"

// opusSeeds are valid packets from every implementation plus malformed
// framings (RFC 6716 §3.2 codes 0-3, padding, bad lengths).
func opusSeeds(f *testing.F) [][]byte {
	seeds := [][]byte{
		{0x78}, {0xF8, 0x00}, {0x79, 0x01}, {0x7A, 0xFF}, {0x7B}, {0x7B, 0x00},
		{0x7B, 0xFF, 0xFF, 0xFF}, {0x7B, 0x41, 0xFF, 0xFF}, {0x03, 0x30, 0x01},
		{0xFC, 0x83, 0x10, 0x20, 0x30}, {0x0B, 0xBF, 0x02},
	}
	for _, impl := range opusImpls {
		for _, app := range []Application{VoIP, Audio} {
			for _, ch := range []int{1, 2} {
				enc, err := impl.newEnc(OpusSampleRate, ch, app)
				if err != nil {
					f.Fatal(err)
				}
				_ = enc.(FECEncoder).SetPacketLoss(10)
				pcm := sine(OpusFrameSamples*3, ch, OpusSampleRate, 440, -10)
				for off := 0; off < len(pcm); off += OpusFrameSamples * ch {
					p := make([]byte, MaxOpusPayload)
					n, err := enc.Encode(pcm[off:off+OpusFrameSamples*ch], p)
					if err != nil {
						f.Fatal(err)
					}
					seeds = append(seeds, p[:n])
				}
			}
		}
	}
	return seeds
}

// FuzzOpusDecode: no payload makes any Opus decoder panic or report more
// samples than its buffer holds, in Decode or in DecodeLoss's FEC path.
func FuzzOpusDecode(f *testing.F) {
	for _, s := range opusSeeds(f) {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, payload []byte, stereo bool) {
		ch := 1
		if stereo {
			ch = 2
		}
		for _, impl := range opusImpls {
			dec, err := impl.newDec(OpusSampleRate, ch)
			if err != nil {
				t.Fatal(err)
			}
			for _, size := range []int{MaxOpusFrameSamples(OpusSampleRate), OpusFrameSamples} {
				pcm := make([]int16, size*ch)
				if n, err := dec.Decode(payload, pcm); err == nil && (n <= 0 || n > size) {
					t.Fatalf("%s: Decode = %d samples into a %d-sample buffer", impl.name, n, size)
				}
				if n, err := dec.DecodeLoss(payload, pcm); err == nil && (n <= 0 || n > size) {
					t.Fatalf("%s: DecodeLoss = %d samples into a %d-sample buffer", impl.name, n, size)
				}
			}
		}
	})
}

// FuzzG711Decode: G.711 decodes any 1..MaxG711Samples bytes, one sample
// each, and refuses the rest, without panicking.
func FuzzG711Decode(f *testing.F) {
	f.Add([]byte{0xFF, 0x7F, 0x00, 0x80, 0xD5})
	f.Add([]byte{})
	f.Add(make([]byte, MaxG711Samples+1))
	f.Fuzz(func(t *testing.T, payload []byte) {
		for _, c := range g711Codecs {
			dec := c.newDec()
			pcm := make([]int16, MaxG711Samples)
			n, err := dec.Decode(payload, pcm)
			valid := len(payload) >= 1 && len(payload) <= MaxG711Samples
			if (err == nil) != valid || (valid && n != len(payload)) {
				t.Fatalf("%s: Decode(%d bytes) = %d, %v", c.name, len(payload), n, err)
			}
			if n, err := dec.DecodeLoss(payload, pcm); err != nil || n < 1 || n > MaxG711Samples {
				t.Fatalf("%s: DecodeLoss = %d, %v", c.name, n, err)
			}
		}
	})
}
