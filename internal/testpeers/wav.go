package testpeers

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"time"
)

// WriteToneWAV writes a 16-bit mono WAV at rate holding a sine of freq Hz
// with peak amplitude amp (0..1, of full scale) lasting d.
func WriteToneWAV(path string, rate int, freq, amp float64, d time.Duration) error {
	return WriteToneWAVChannels(path, rate, 1, freq, amp, d)
}

// WriteToneWAVChannels is WriteToneWAV with the same sine on ch channels
// (baresip's aufile wants a file with the codec's channels: Opus has 2).
func WriteToneWAVChannels(path string, rate, ch int, freq, amp float64, d time.Duration) error {
	n := int(d.Seconds() * float64(rate))
	data := make([]byte, 2*n*ch)
	for i := 0; i < n; i++ {
		v := int16(amp * 32767 * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
		for c := 0; c < ch; c++ {
			binary.LittleEndian.PutUint16(data[2*(i*ch+c):], uint16(v))
		}
	}
	var h bytes.Buffer
	h.WriteString("RIFF")
	_ = binary.Write(&h, binary.LittleEndian, uint32(36+len(data)))
	h.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(ch), uint32(rate), uint32(2 * ch * rate), uint16(2 * ch), uint16(16)} {
		_ = binary.Write(&h, binary.LittleEndian, v)
	}
	h.WriteString("data")
	_ = binary.Write(&h, binary.LittleEndian, uint32(len(data)))
	h.Write(data)
	return os.WriteFile(path, h.Bytes(), 0o644)
}

// ReadWAV returns the samples and sample rate of a 16-bit PCM WAV (the
// first channel only, when there are several).
func ReadWAV(path string) ([]int16, int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	if len(b) < 12 || string(b[:4]) != "RIFF" {
		return nil, 0, fmt.Errorf("%s: not a WAV", path)
	}
	rate, ch := 0, 1
	for off := 12; off+8 <= len(b); {
		id, size := string(b[off:off+4]), int(binary.LittleEndian.Uint32(b[off+4:]))
		body := b[off+8 : min(off+8+size, len(b))]
		if id == "data" && size == 0 {
			// A file still being written (baresip's sndfile) has its
			// sizes filled in only when closed: the data is the rest.
			body = b[off+8:]
		}
		switch id {
		case "fmt ":
			if len(body) >= 8 {
				ch = max(1, int(binary.LittleEndian.Uint16(body[2:])))
				rate = int(binary.LittleEndian.Uint32(body[4:]))
			}
		case "data":
			pcm := make([]int16, len(body)/(2*ch))
			for i := range pcm {
				pcm[i] = int16(binary.LittleEndian.Uint16(body[2*ch*i:]))
			}
			return pcm, rate, nil
		}
		off += 8 + size + size%2
	}
	return nil, 0, fmt.Errorf("%s: no data chunk", path)
}

// ToneDB is the Goertzel level of freq in pcm sampled at rate, in dB
// relative to a full-scale sine's peak; -200 for no samples.
func ToneDB(pcm []int16, rate int, freq float64) float64 {
	if len(pcm) == 0 {
		return -200
	}
	k := 2 * math.Cos(2*math.Pi*freq/float64(rate))
	var s1, s2 float64
	for _, x := range pcm {
		s0 := float64(x)/32768 + k*s1 - s2
		s2, s1 = s1, s0
	}
	power := s1*s1 + s2*s2 - k*s1*s2
	return 20 * math.Log10(math.Max(2*math.Sqrt(math.Max(power, 0))/float64(len(pcm)), 1e-10))
}

// ToneProfile is ToneDB of freq over each whole window of pcm (e.g. one
// second = rate samples), in order: it shows gaps and fades of a tone.
func ToneProfile(pcm []int16, rate int, freq float64, window int) []float64 {
	var out []float64
	for off := 0; window > 0 && off+window <= len(pcm); off += window {
		out = append(out, ToneDB(pcm[off:off+window], rate, freq))
	}
	return out
}
