package e2e

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
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

// toneSpec is what a test's microphone plays: a sine of Freq Hz at DBFS
// (peak), or silence when Freq is 0.
type toneSpec struct{ Freq, DBFS float64 }

// cameraSpec is what a test's camera shows: the colour with a lighter
// square moving across it, W×H pixels at FPS frames a second.
type cameraSpec struct {
	Colour    rgb
	W, H, FPS int
}

// withTone makes the microphone play a tone of freq Hz at dBFS (0 Hz:
// silence), in either browser.
func withTone(freq, dBFS float64) launchOption {
	return func(o *launchOptions) { o.tone = &toneSpec{freq, dBFS} }
}

// withCamera makes the camera show colour c at 320×180, 15 fps, in either
// browser.
func withCamera(c rgb) launchOption {
	return func(o *launchOptions) { o.camera = &cameraSpec{Colour: c, W: 320, H: 180, FPS: 15} }
}

// withBrowserCamera undoes withCamera: the browser's own fake camera
// (Chromium's gives 1280×720 when asked, enough for three layers).
func withBrowserCamera() launchOption { return func(o *launchOptions) { o.camera = nil } }

// withCameraSize is withCamera at w×h (Firefox only: Chromium plays
// 320×180 files; its own fake camera gives any size asked for).
func withCameraSize(c rgb, w, h int) launchOption {
	return func(o *launchOptions) { o.camera = &cameraSpec{Colour: c, W: w, H: h, FPS: 15} }
}

// writeMediaFiles turns the tone and camera options into the WAV and Y4M
// files Chromium's fake capture plays.
func (o *launchOptions) writeMediaFiles(t *testing.T, name string) {
	t.Helper()
	if o.tone == nil && o.camera == nil {
		return
	}
	dir := t.TempDir()
	if o.tone != nil && o.fakeAudio == "" {
		o.fakeAudio = writeToneWAV(t, dir, name+".wav", o.tone.Freq, o.tone.DBFS)
	}
	if o.camera != nil && o.fakeVideo == "" {
		if o.camera.W != 320 || o.camera.H != 180 || o.camera.FPS != 15 {
			t.Fatalf("%s: Chromium's camera files are 320×180 at 15 fps", name)
		}
		o.fakeVideo = writeCameraY4M(t, dir, name+".y4m", o.camera.Colour)
	}
}

// syntheticMediaTemplate replaces what Firefox's getUserMedia returns with
// the test's tone and camera picture, the way Chromium plays the WAV and
// Y4M files: the page still calls the real getUserMedia (Firefox's fake
// devices, so permissions and device handling are the browser's own), then
// gets a Web Audio oscillator and a canvas capture in place of the fake
// tracks. %s is {tone: {freq, gain} | null, camera: {r, g, b, w, h, fps} | null}.
const syntheticMediaTemplate = `(() => {
  const cfg = %s;
  const md = navigator.mediaDevices;
  if (!md || !md.getUserMedia || window.__xpSynthetic) return;
  window.__xpSynthetic = cfg;
  const real = md.getUserMedia.bind(md);
  const onStop = (track, f) => {
    const stop = track.stop.bind(track);
    track.stop = () => { stop(); f(); };
  };
  const toneTrack = () => {
    const ac = new AudioContext({ sampleRate: 48000 });
    const dest = ac.createMediaStreamDestination();
    if (cfg.tone.freq > 0) {
      const osc = ac.createOscillator();
      osc.frequency.value = cfg.tone.freq;
      const gain = ac.createGain();
      gain.gain.value = cfg.tone.gain;
      osc.connect(gain).connect(dest);
      osc.start();
    }
    ac.resume().catch(() => {});
    const track = dest.stream.getAudioTracks()[0];
    onStop(track, () => ac.close().catch(() => {}));
    return track;
  };
  const cameraTrack = () => {
    const c = cfg.camera;
    const canvas = document.createElement('canvas');
    canvas.width = c.w;
    canvas.height = c.h;
    const g = canvas.getContext('2d');
    const box = Math.round(c.h / 5);
    let n = 0;
    const draw = () => {
      const grad = g.createLinearGradient(0, 0, 0, c.h);
      const shade = (d) => 'rgb(' + [c.r, c.g, c.b].map((v) => Math.max(0, Math.min(255, v + d))).join(',') + ')';
      grad.addColorStop(0, shade(16));
      grad.addColorStop(1, shade(-16));
      g.fillStyle = grad;
      g.fillRect(0, 0, c.w, c.h);
      const x = Math.round((c.w - box) * ((n++ %% (2 * c.fps)) / (2 * c.fps - 1)));
      g.fillStyle = shade(52);
      g.fillRect(x, Math.round((c.h - box) / 2), box, box);
    };
    draw();
    const timer = setInterval(draw, 1000 / c.fps);
    const track = canvas.captureStream(c.fps).getVideoTracks()[0];
    onStop(track, () => clearInterval(timer));
    return track;
  };
  md.getUserMedia = async (constraints) => {
    const stream = await real(constraints);
    const out = new MediaStream();
    for (const t of stream.getTracks()) {
      const swap = t.kind === 'audio' ? cfg.tone && toneTrack : cfg.camera && cameraTrack;
      if (!swap) {
        out.addTrack(t);
        continue;
      }
      t.stop();
      out.addTrack(swap());
    }
    return out;
  };
})();`

// syntheticMediaJS is the script that gives a Firefox page the test's tone
// and camera ("" when neither is asked for, or in Chromium, which plays
// files).
func (o *launchOptions) syntheticMediaJS(e engine) string {
	if e != firefox || (o.tone == nil && o.camera == nil) {
		return ""
	}
	cfg := map[string]any{"tone": nil, "camera": nil}
	if o.tone != nil {
		cfg["tone"] = map[string]float64{"freq": o.tone.Freq, "gain": math.Pow(10, o.tone.DBFS/20)}
	}
	if c := o.camera; c != nil {
		cfg["camera"] = map[string]any{"r": c.Colour.R, "g": c.Colour.G, "b": c.Colour.B, "w": c.W, "h": c.H, "fps": c.FPS}
	}
	data, _ := json.Marshal(cfg)
	return fmt.Sprintf(syntheticMediaTemplate, data)
}
