package sfutest

import (
	"fmt"
	"math"
	"sync"

	"github.com/pion/rtp"

	"xphone/sfu/codec"
)

// frame is one 20 ms frame of mono 48 kHz audio.
const frame = 960

// StartTone sends an Opus-encoded sine of freq Hz at amplitude (peak, of
// 32767) every 20 ms, marked with the RFC 6464 level in c.Level. It
// replaces StartSending for audio-analysis tests.
func (c *Client) StartTone(freq float64, amplitude int16) error {
	enc, err := codec.NewOpusEncoder(codec.OpusSampleRate, 1, codec.VoIP)
	if err != nil {
		return fmt.Errorf("sfutest: encoder: %w", err)
	}
	c.goOwned(func() { c.toneLoop(enc, freq, amplitude) })
	c.startCameraIfAny()
	return nil
}

func (c *Client) toneLoop(enc codec.Encoder, freq float64, amplitude int16) {
	pcm := make([]int16, frame)
	buf := make([]byte, 1500)
	phase := 0.0
	step := 2 * math.Pi * freq / float64(codec.OpusSampleRate)
	var seq uint16
	c.tick(func(n int) {
		for i := range pcm {
			pcm[i] = int16(float64(amplitude) * math.Sin(phase))
			phase += step
		}
		if c.Silent.Load() {
			clear(pcm)
		}
		size, err := enc.Encode(pcm, buf)
		if err != nil || !c.sendsAudio(n, amplitude == 0 || c.Silent.Load()) {
			c.sendVideo(uint16(n), uint32(n*1800))
			return
		}
		seq++
		p := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(n * frame)}, Payload: buf[:size]}
		_ = p.SetExtension(1, []byte{byte(c.Level.Load()) | 0x80})
		_ = c.audio.WriteRTP(p)
		c.sendVideo(uint16(n), uint32(n*1800))
	})
}

// pcmRing keeps the last seconds of decoded received audio.
type pcmRing struct {
	mu   sync.Mutex
	buf  []int16
	next int
	full bool
}

func newPCMRing(samples int) *pcmRing { return &pcmRing{buf: make([]int16, samples)} }

func (r *pcmRing) write(pcm []int16) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range pcm {
		r.buf[r.next] = s
		if r.next++; r.next == len(r.buf) {
			r.next, r.full = 0, true
		}
	}
}

// reset forgets everything written so far.
func (r *pcmRing) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.next, r.full = 0, false
}

// last returns a copy of the newest n samples (fewer if not yet received).
func (r *pcmRing) last(n int) []int16 {
	r.mu.Lock()
	defer r.mu.Unlock()
	have := r.next
	if r.full {
		have = len(r.buf)
	}
	n = min(n, have)
	out := make([]int16, n)
	for i := range out {
		out[i] = r.buf[(r.next-n+i+len(r.buf))%len(r.buf)]
	}
	return out
}

// ToneDB is the power of freq in pcm relative to full scale, in dB
// (Goertzel), so a tone's presence can be asserted.
func ToneDB(pcm []int16, freq float64) float64 {
	if len(pcm) == 0 {
		return -200
	}
	k := 2 * math.Cos(2*math.Pi*freq/float64(codec.OpusSampleRate))
	var s1, s2 float64
	for _, x := range pcm {
		s0 := float64(x)/32768 + k*s1 - s2
		s2, s1 = s1, s0
	}
	power := s1*s1 + s2*s2 - k*s1*s2
	amp := 2 * math.Sqrt(math.Max(power, 0)) / float64(len(pcm))
	return 20 * math.Log10(math.Max(amp, 1e-10))
}
