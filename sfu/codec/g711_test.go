package codec

import (
	"errors"
	"fmt"
	"math"
	"testing"
)

type g711Codec struct {
	name   string
	newEnc func() Encoder
	newDec func() Decoder
}

var g711Codecs = []g711Codec{
	{"PCMU", NewPCMUEncoder, NewPCMUDecoder},
	{"PCMA", NewPCMAEncoder, NewPCMADecoder},
}

func g711Encode(t *testing.T, enc Encoder, pcm []int16) []byte {
	t.Helper()
	out := make([]byte, len(pcm))
	n, err := enc.Encode(pcm, out)
	if err != nil || n != len(pcm) {
		t.Fatalf("Encode = %d, %v; want %d, nil", n, err, len(pcm))
	}
	return out
}

func g711Decode(t *testing.T, dec Decoder, payload []byte) []int16 {
	t.Helper()
	pcm := make([]int16, len(payload))
	n, err := dec.Decode(payload, pcm)
	if err != nil || n != len(payload) {
		t.Fatalf("Decode = %d, %v; want %d, nil", n, err, len(payload))
	}
	return pcm
}

// Reference values from ITU-T G.711 and the Sun reference implementation.
func TestG711ReferenceValues(t *testing.T) {
	encodes := []struct {
		codec  string
		sample int16
		want   byte
	}{
		{"PCMU", 0, 0xFF},
		{"PCMU", -1, 0x7E}, // rounds toward the nearest negative level
		{"PCMU", 8, 0xFE},
		{"PCMU", 32767, 0x80},
		{"PCMU", -32768, 0x00},
		{"PCMA", 0, 0xD5},
		{"PCMA", -1, 0x55},
		{"PCMA", 32767, 0xAA},
		{"PCMA", -32768, 0x2A},
	}
	for _, tt := range encodes {
		t.Run(fmt.Sprintf("encode %s %d", tt.codec, tt.sample), func(t *testing.T) {
			enc := NewPCMUEncoder()
			if tt.codec == "PCMA" {
				enc = NewPCMAEncoder()
			}
			if got := g711Encode(t, enc, []int16{tt.sample})[0]; got != tt.want {
				t.Fatalf("got %#02x, want %#02x", got, tt.want)
			}
		})
	}
	decodes := []struct {
		codec string
		code  byte
		want  int16
	}{
		{"PCMU", 0xFF, 0},
		{"PCMU", 0x7F, 0},
		{"PCMU", 0x80, 32124},
		{"PCMU", 0x00, -32124},
		{"PCMU", 0xFE, 8},
		{"PCMA", 0xD5, 8},
		{"PCMA", 0x55, -8},
		{"PCMA", 0xAA, 32256},
		{"PCMA", 0x2A, -32256},
	}
	for _, tt := range decodes {
		t.Run(fmt.Sprintf("decode %s %#02x", tt.codec, tt.code), func(t *testing.T) {
			dec := NewPCMUDecoder()
			if tt.codec == "PCMA" {
				dec = NewPCMADecoder()
			}
			if got := g711Decode(t, dec, []byte{tt.code})[0]; got != tt.want {
				t.Fatalf("got %d, want %d", got, tt.want)
			}
		})
	}
}

// Every code decodes to a level that encodes back to the same code, except
// μ-law's negative zero 0x7F, which decodes to 0 and so re-encodes as 0xFF.
func TestG711EveryCodeRoundTrips(t *testing.T) {
	for _, c := range g711Codecs {
		t.Run(c.name, func(t *testing.T) {
			codes := make([]byte, 256)
			for i := range codes {
				codes[i] = byte(i)
			}
			again := g711Encode(t, c.newEnc(), g711Decode(t, c.newDec(), codes[:128]))
			again = append(again, g711Encode(t, c.newEnc(), g711Decode(t, c.newDec(), codes[128:]))...)
			for i, got := range again {
				want := byte(i)
				if c.name == "PCMU" && want == 0x7F {
					want = 0xFF
				}
				if got != want {
					t.Errorf("code %#02x came back as %#02x", i, got)
				}
			}
		})
	}
}

// Encoding is monotonic, so every 16-bit sample lands on the code of a
// neighbouring decoded level: the tables are indexed right for all 65536.
func TestG711EncodeMonotonic(t *testing.T) {
	for _, c := range g711Codecs {
		t.Run(c.name, func(t *testing.T) {
			enc, dec := c.newEnc(), c.newDec()
			prev := math.MinInt
			var in [1]int16
			var code [1]byte
			var lvl [1]int16
			for s := math.MinInt16; s <= math.MaxInt16; s++ {
				in[0] = int16(s)
				if _, err := enc.Encode(in[:], code[:]); err != nil {
					t.Fatal(err)
				}
				if _, err := dec.Decode(code[:], lvl[:]); err != nil {
					t.Fatal(err)
				}
				if int(lvl[0]) < prev {
					t.Fatalf("sample %d decodes to %d, below %d for the previous sample", s, lvl[0], prev)
				}
				prev = int(lvl[0])
				if err := abs(s - int(lvl[0])); err > 1024 {
					t.Fatalf("sample %d decodes to %d, off by %d", s, lvl[0], err)
				}
			}
		})
	}
}

// G.711 keeps a near-constant ~38 dB SNR over a wide range of levels. The
// tone is 1020 Hz, the usual test tone: 1 kHz would hit only 8 sample
// phases at 8 kHz and make the quantisation noise periodic.
func TestG711SineSNR(t *testing.T) {
	for _, c := range g711Codecs {
		for _, tc := range []struct {
			level, minSNR float64
		}{{-3, 35}, {-20, 35}, {-40, 31}} {
			t.Run(fmt.Sprintf("%s/%.0fdBFS", c.name, tc.level), func(t *testing.T) {
				pcm := sine(G711SampleRate, 1, G711SampleRate, 1020, tc.level)
				var out []int16
				enc, dec := c.newEnc(), c.newDec()
				for off := 0; off < len(pcm); off += G711FrameSamples {
					out = append(out, g711Decode(t, dec, g711Encode(t, enc, pcm[off:off+G711FrameSamples]))...)
				}
				x := channel(out, 1, 0)
				snr, lvl := toneSNR(x, 1020, G711SampleRate), toneDBFS(x, 1020, G711SampleRate)
				t.Logf("1020 Hz at %.0f dBFS: decoded %.2f dBFS, SNR %.1f dB", tc.level, lvl, snr)
				if snr < tc.minSNR || math.Abs(lvl-tc.level) > 0.5 {
					t.Fatalf("SNR %.1f dB (want ≥ %.0f), level %.2f dBFS (want %.0f ± 0.5)", snr, tc.minSNR, lvl, tc.level)
				}
			})
		}
	}
}

func TestG711DecodeLoss(t *testing.T) {
	for _, c := range g711Codecs {
		t.Run(c.name, func(t *testing.T) {
			dec := c.newDec()
			buf := make([]int16, G711FrameSamples)
			for i := range buf {
				buf[i] = 99
			}
			if n, err := dec.DecodeLoss(nil, buf); err != nil || n != G711FrameSamples || buf[0] != 0 || buf[n-1] != 0 {
				t.Fatalf("loss before any frame: %d, %v, first %d; want a silent frame", n, err, buf[0])
			}
			frame := g711Decode(t, dec, g711Encode(t, c.newEnc(), sine(G711FrameSamples, 1, G711SampleRate, 400, -6)))
			peak := func(x []int16) int {
				p := 0
				for _, v := range x {
					p = max(p, abs(int(v)))
				}
				return p
			}
			wantPeaks := []struct{ lo, hi int }{
				{peak(frame) / 2, peak(frame)}, // fading 1 → ½
				{1, peak(frame)/2 + 1},         // ½ → 0
				{0, 0},                         // silent
			}
			for i, w := range wantPeaks {
				n, err := dec.DecodeLoss([]byte{1, 2, 3}, buf)
				if err != nil || n != G711FrameSamples {
					t.Fatalf("loss %d: %d, %v", i, n, err)
				}
				if p := peak(buf[:n]); p < w.lo || p > w.hi {
					t.Fatalf("loss %d: peak %d, want %d..%d", i, p, w.lo, w.hi)
				}
			}
			if buf[0] != 0 {
				t.Fatalf("third loss starts at %d, want 0", buf[0])
			}
			g711Decode(t, dec, []byte{0x00, 0x00})
			if n, _ := dec.DecodeLoss(nil, buf); n != 2 || buf[0] != frameFirst(c.name) {
				t.Fatalf("loss after a 2-sample frame: %d samples, first %d; want 2, %d", n, buf[0], frameFirst(c.name))
			}
			if _, err := dec.DecodeLoss(nil, buf[:1]); !errors.Is(err, ErrBufferTooSmall) {
				t.Fatalf("short buffer: %v, want ErrBufferTooSmall", err)
			}
		})
	}
}

// frameFirst is code 0x00 decoded: where a fade that just started begins.
func frameFirst(name string) int16 {
	if name == "PCMU" {
		return ulawToLinear(0)
	}
	return alawToLinear(0)
}

func TestG711Errors(t *testing.T) {
	for _, c := range g711Codecs {
		t.Run(c.name, func(t *testing.T) {
			frame := make([]int16, G711FrameSamples)
			tests := []struct {
				name string
				err  error
				want error
			}{
				{"empty pcm", second(c.newEnc().Encode(nil, make([]byte, 10))), ErrInvalidFrameSize},
				{"long pcm", second(c.newEnc().Encode(make([]int16, MaxG711Samples+1), make([]byte, 2000))), ErrInvalidFrameSize},
				{"short out", second(c.newEnc().Encode(frame, make([]byte, G711FrameSamples-1))), ErrBufferTooSmall},
				{"bitrate", c.newEnc().SetBitrate(32000), ErrInvalidBitrate},
				{"complexity", c.newEnc().SetComplexity(-1), ErrInvalidComplexity},
				{"empty payload", second(c.newDec().Decode(nil, frame)), ErrEmptyPayload},
				{"long payload", second(c.newDec().Decode(make([]byte, MaxG711Samples+1), make([]int16, 2000))), ErrInvalidPacket},
				{"short pcm", second(c.newDec().Decode(make([]byte, G711FrameSamples), frame[:10])), ErrBufferTooSmall},
			}
			for _, tt := range tests {
				if !errors.Is(tt.err, tt.want) {
					t.Errorf("%s: got %v, want %v", tt.name, tt.err, tt.want)
				}
			}
			if err := c.newEnc().SetBitrate(64000); err != nil {
				t.Errorf("SetBitrate(64000): %v", err)
			}
			if err := c.newEnc().SetComplexity(5); err != nil {
				t.Errorf("SetComplexity(5): %v", err)
			}
		})
	}
}
