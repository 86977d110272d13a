package sipmedia

import (
	"errors"
	"math/rand/v2"
	"strings"
	"sync"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// errNotBound: the track has no negotiated stream yet.
var errNotBound = errors.New("sipmedia: audio track not bound")

// rtpTrack is our audio sender on a PeerConnection. pion's built-in local
// tracks force one payload type (pitfall 8); this one writes the audio
// codec and RFC 4733 telephone-events on one SSRC with the negotiated
// payload types and one running timestamp.
type rtpTrack struct {
	mime     string
	rate     uint32 // the codec's RTP clock
	dtmfRate uint32 // telephone-event's clock: rate if negotiated, else 8000

	mu      sync.Mutex
	w       webrtc.TrackLocalWriter
	ssrc    uint32
	audioPT uint8
	dtmfPT  uint8
	hasDTMF bool
	seq     uint16
	ts      uint32
	resume  bool // the next audio packet follows a silent gap: marker bit
}

func newRTPTrack(mime string, rate uint32) *rtpTrack {
	return &rtpTrack{mime: mime, rate: rate, seq: uint16(rand.Uint32()), ts: rand.Uint32()}
}

// Bind picks the negotiated payload types of our codec and of
// telephone-event, at the codec's clock if negotiated, else any.
func (t *rtpTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	var audio, event *webrtc.RTPCodecParameters
	for _, c := range ctx.CodecParameters() {
		switch {
		case strings.EqualFold(c.MimeType, t.mime) && audio == nil:
			audio = &c
		case strings.EqualFold(c.MimeType, "audio/telephone-event") && (event == nil || c.ClockRate == t.rate):
			event = &c
		}
	}
	if audio == nil {
		return webrtc.RTPCodecParameters{}, webrtc.ErrUnsupportedCodec
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if event != nil {
		t.dtmfPT, t.dtmfRate, t.hasDTMF = uint8(event.PayloadType), event.ClockRate, true
	}
	t.w, t.ssrc, t.audioPT = ctx.WriteStream(), uint32(ctx.SSRC()), uint8(audio.PayloadType)
	return *audio, nil
}

// Unbind forgets the stream.
func (t *rtpTrack) Unbind(webrtc.TrackLocalContext) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.w = nil
	return nil
}

// ID, RID, StreamID and Kind describe the track to pion.
func (t *rtpTrack) ID() string                      { return "audio" }
func (t *rtpTrack) RID() string                     { return "" }
func (t *rtpTrack) StreamID() string                { return "xphone" }
func (t *rtpTrack) Kind() webrtc.RTPCodecType       { return webrtc.RTPCodecTypeAudio }
func (t *rtpTrack) stream() webrtc.TrackLocalWriter { return t.w }

// writeAudio sends one frame lasting samples (8 kHz ticks).
func (t *rtpTrack) writeAudio(payload []byte, samples uint32) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.w == nil {
		return errNotBound
	}
	h := rtp.Header{Version: 2, PayloadType: t.audioPT, SequenceNumber: t.seq, Timestamp: t.ts, SSRC: t.ssrc, Marker: t.resume}
	t.seq++
	t.ts += samples
	t.resume = false
	_, err := t.w.WriteRTP(&h, payload)
	return err
}

// skipAudio moves the timestamp over a silent gap (see Session).
func (t *rtpTrack) skipAudio(samples uint32) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ts += samples
	t.resume = true
}

// writeEvent sends RFC 4733 packets of one key press: payloads (start,
// updates, repeated end) share the event's timestamp.
func (t *rtpTrack) writeEvent(payloads [][]byte) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.w == nil || !t.hasDTMF {
		return errNotBound
	}
	var buf [4]byte
	for i, p := range payloads {
		h := rtp.Header{Version: 2, PayloadType: t.dtmfPT, SequenceNumber: t.seq, Timestamp: t.ts, SSRC: t.ssrc, Marker: i == 0}
		t.seq++
		if _, err := t.w.WriteRTP(&h, scaleEvent(buf[:0], p, t.dtmfRate)); err != nil {
			return err
		}
	}
	t.ts += 800 * t.rate / 8000 // the event's 100 ms
	return nil
}

// scaleEvent copies an RFC 4733 payload whose duration is in 8 kHz ticks
// (eventPayloads) into dst with the duration in the codec's clock.
func scaleEvent(dst, p []byte, rate uint32) []byte {
	dst = append(dst, p...)
	if len(dst) < 4 || rate == 8000 {
		return dst
	}
	d := (uint32(dst[2])<<8 | uint32(dst[3])) * rate / 8000
	dst[2], dst[3] = byte(d>>8), byte(d)
	return dst
}
