package e2e

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// Files for Chromium's fake microphone and camera
// (--use-file-for-fake-audio-capture, --use-file-for-fake-video-capture),
// so each browser sends something the test can tell apart.

const wavRate = 48000 // Chromium's fake capture wants 48 kHz 16-bit

// writeToneWAV writes a mono 48 kHz 16-bit WAV of a sine of freq Hz at dBFS
// (peak) lasting one second; Chromium loops it. freq 0 writes silence.
// Whole-hertz tones fill one second with whole cycles, so the loop is seamless.
func writeToneWAV(t *testing.T, dir, name string, freq, dBFS float64) string {
	t.Helper()
	const samples = wavRate
	amp := math.Pow(10, dBFS/20) * 32767
	pcm := make([]byte, 2*samples)
	for i := range samples {
		v := 0.0
		if freq > 0 {
			v = amp * math.Sin(2*math.Pi*freq*float64(i)/wavRate)
		}
		binary.LittleEndian.PutUint16(pcm[2*i:], uint16(int16(math.Round(v))))
	}
	var hdr [44]byte
	copy(hdr[0:], "RIFF")
	binary.LittleEndian.PutUint32(hdr[4:], uint32(36+len(pcm)))
	copy(hdr[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(hdr[16:], 16) // fmt chunk size
	binary.LittleEndian.PutUint16(hdr[20:], 1)  // PCM
	binary.LittleEndian.PutUint16(hdr[22:], 1)  // mono
	binary.LittleEndian.PutUint32(hdr[24:], wavRate)
	binary.LittleEndian.PutUint32(hdr[28:], wavRate*2) // byte rate
	binary.LittleEndian.PutUint16(hdr[32:], 2)         // block align
	binary.LittleEndian.PutUint16(hdr[34:], 16)        // bits per sample
	copy(hdr[36:], "data")
	binary.LittleEndian.PutUint32(hdr[40:], uint32(len(pcm)))
	file := filepath.Join(dir, name)
	if err := os.WriteFile(file, append(hdr[:], pcm...), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// rgb is a colour of a fake camera picture.
type rgb struct{ R, G, B float64 }

// Each participant's camera shows its own colour, so a test can tell whose
// video a tile plays.
var (
	camRed   = rgb{205, 55, 45}
	camGreen = rgb{35, 165, 80}
	camBlue  = rgb{45, 85, 210}
)

// yuv converts to BT.601 limited-range Y'CbCr, as Y4M files carry it.
func (c rgb) yuv() (y, u, v byte) {
	clamp := func(f float64) byte { return byte(math.Max(0, math.Min(255, math.Round(f)))) }
	y = clamp(16 + 0.257*c.R + 0.504*c.G + 0.098*c.B)
	u = clamp(128 - 0.148*c.R - 0.291*c.G + 0.439*c.B)
	v = clamp(128 + 0.439*c.R - 0.368*c.G - 0.071*c.B)
	return y, u, v
}

// writeCameraY4M writes a 320×180, 15 fps, two-second Y4M clip for the fake
// camera: the colour c with a lighter square moving across it (so the video
// visibly plays), looped by Chromium.
func writeCameraY4M(t *testing.T, dir, name string, c rgb) string {
	t.Helper()
	const w, h, fps, frames, box = 320, 180, 15, 30, 36
	file := filepath.Join(dir, name)
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriter(f)
	fmt.Fprintf(bw, "YUV4MPEG2 W%d H%d F%d:1 Ip A1:1\n", w, h, fps)
	y, u, v := c.yuv()
	lum := make([]byte, w*h)
	chromaU := make([]byte, w*h/4)
	chromaV := make([]byte, w*h/4)
	for i := range chromaU {
		chromaU[i], chromaV[i] = u, v
	}
	for n := range frames {
		x0 := (w - box) * n / (frames - 1)
		y0 := (h - box) / 2
		for row := range h {
			// A gentle vertical gradient looks less flat than one colour.
			base := int(y) + 14 - 28*row/h
			for col := range w {
				l := base
				if col >= x0 && col < x0+box && row >= y0 && row < y0+box {
					l += 45
				}
				lum[row*w+col] = byte(max(16, min(235, l)))
			}
		}
		bw.WriteString("FRAME\n")
		bw.Write(lum)
		bw.Write(chromaU)
		bw.Write(chromaV)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return file
}
