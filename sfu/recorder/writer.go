package recorder

import (
	"errors"
	"os"
	"time"

	"xphone/sfu/codec"
)

// writer is the muxing state of a recording, owned by its goroutine.
type writer struct {
	r *Recording

	ogg     *oggWriter
	oggFile WriteAtCloser
	nextTS  uint32 // RTP timestamp the next mix packet should have
	haveTS  bool
	samples int64 // audio written, 48 kHz samples

	webm     *webmWriter
	webmFile WriteAtCloser
	vp8      *vp8Frames
	source   uint32 // the video sender being written
	haveSrc  bool
	baseTS   uint32 // RTP time of the source's first frame …
	baseMS   int64  // … and where it went in the file
	lastMS   int64
	frames   int
}

// maxFill is the longest gap in the mix filled with silence (one minute);
// a longer jump in the timestamps is taken as a new timeline.
const maxFill = 60 * 48000

// frameSamples is one 20 ms frame at 48 kHz.
const frameSamples = 960

func newWriter(r *Recording) (*writer, error) {
	f, err := r.cfg.Create(r.base + ".ogg")
	if err != nil {
		return nil, err
	}
	w := &writer{r: r, oggFile: f, vp8: newVP8Frames()}
	w.ogg = newOggWriter(f, serialOf(r.base))
	if err := w.ogg.headers(r.cfg.Channels, r.cfg.Comments); err != nil {
		_ = f.Close()
		_ = os.Remove(r.base + ".ogg")
		return nil, err
	}
	return w, nil
}

// serialOf derives the Ogg stream serial number from the file name.
func serialOf(name string) uint32 {
	var h uint32 = 2166136261
	for i := 0; i < len(name); i++ {
		h = (h ^ uint32(name[i])) * 16777619
	}
	return h
}

// audio writes one packet of the mix, after silence for any gap before it.
func (w *writer) audio(pk *packet) error {
	payload := pk.buf[:pk.n]
	samples := int(codec.OpusPacketSamples(payload))
	if samples == 0 {
		return nil
	}
	if w.haveTS {
		gap := int32(pk.ts - w.nextTS)
		switch {
		case gap < 0:
			return nil // late or repeated
		case gap <= maxFill:
			if err := w.fill(int(gap)); err != nil {
				return err
			}
		}
	}
	w.haveTS = true
	w.nextTS = pk.ts + uint32(samples)
	w.samples += int64(samples)
	return w.ogg.packet(payload, samples)
}

// fill writes silence frames for a gap of n samples.
func (w *writer) fill(n int) error {
	sil := w.r.cfg.Silence
	per := int(codec.OpusPacketSamples(sil))
	if per == 0 {
		return nil
	}
	for ; n >= per; n -= per {
		if err := w.ogg.packet(sil, per); err != nil {
			return err
		}
		w.samples += int64(per)
	}
	return nil
}

// video adds one packet to the VP8 frame being gathered and writes the
// frame when it is complete.
func (w *writer) video(pk *packet) error {
	if !w.haveSrc || pk.source != w.source {
		w.source, w.haveSrc = pk.source, true
		w.vp8.resync()
		w.frames = 0
	}
	frame, key, ok := w.vp8.push(pk.seq, pk.ts, pk.marker, pk.buf[:pk.n])
	if !ok {
		return nil
	}
	if w.webm == nil {
		if err := w.openVideo(frame); err != nil {
			return err
		}
	}
	arrived := pk.at.Milliseconds()
	ms := w.baseMS + int64(int32(pk.ts-w.baseTS))/90
	if w.frames == 0 || ms < w.lastMS || ms-arrived > 2000 || arrived-ms > 2000 {
		// A new source, or its clock jumped: place the frame by its arrival.
		ms = max(arrived, w.lastMS)
		w.baseTS, w.baseMS = pk.ts, ms
	}
	w.frames++
	w.lastMS = ms
	return w.webm.frame(frame, key, ms)
}

// openVideo creates the WebM file at the first key frame, sized by it.
func (w *writer) openVideo(frame []byte) error {
	width, height, ok := vp8Size(frame)
	if !ok {
		width, height = 640, 480
	}
	f, err := w.r.cfg.Create(w.r.base + ".webm")
	if err != nil {
		return err
	}
	w.webmFile, w.webm = f, newWebMWriter(f)
	return w.webm.header(width, height)
}

// close finishes both files.
func (w *writer) close() error {
	err := w.ogg.close()
	err = errors.Join(err, w.oggFile.Close())
	if w.webm != nil {
		err = errors.Join(err, w.webm.close(33), w.webmFile.Close())
	}
	return err
}

// abandon closes the files after a write error; what was written stays.
func (w *writer) abandon() {
	_ = w.oggFile.Close()
	if w.webmFile != nil {
		_ = w.webmFile.Close()
	}
}

// info describes what was written.
func (w *writer) info() Info {
	in := Info{Name: w.r.Name(), Room: w.r.cfg.Room, Started: w.r.cfg.Started,
		Duration: time.Duration(w.samples) * time.Second / 48000, Video: w.webm != nil}
	in.Size = w.ogg.written
	if w.webm != nil {
		in.Size += w.webm.off
	}
	return in
}
