package sfutest

import (
	"errors"
	"strings"
	"sync"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

var errUnbound = errors.New("sfutest: track not bound")

// rawTrack is a local track that writes packets with the payload type the
// caller picks: pion's own tracks force the codec's type, but RFC 4733
// DTMF shares the audio SSRC with its own payload type, as browsers send it.
type rawTrack struct {
	id, stream string
	codec      webrtc.RTPCodecCapability

	mu     sync.RWMutex
	writer webrtc.TrackLocalWriter
	ssrc   uint32
	pt     uint8 // the codec's negotiated payload type
	dtmfPT uint8 // telephone-event's, 0 if not negotiated
	seq    uint16
}

func newRawTrack(codec webrtc.RTPCodecCapability, id, stream string) *rawTrack {
	return &rawTrack{id: id, stream: stream, codec: codec}
}

// Bind picks the negotiated codec and telephone-event payload types.
func (t *rawTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var chosen *webrtc.RTPCodecParameters
	for _, c := range ctx.CodecParameters() {
		switch {
		case strings.EqualFold(c.MimeType, t.codec.MimeType) && chosen == nil:
			c := c
			chosen = &c
		case strings.EqualFold(c.MimeType, "audio/telephone-event") && t.dtmfPT == 0:
			t.dtmfPT = uint8(c.PayloadType)
		}
	}
	if chosen == nil {
		return webrtc.RTPCodecParameters{}, webrtc.ErrUnsupportedCodec
	}
	t.writer, t.ssrc, t.pt = ctx.WriteStream(), uint32(ctx.SSRC()), uint8(chosen.PayloadType)
	return *chosen, nil
}

// Unbind forgets the binding.
func (t *rawTrack) Unbind(webrtc.TrackLocalContext) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.writer = nil
	return nil
}

func (t *rawTrack) ID() string                { return t.id }
func (t *rawTrack) RID() string               { return "" }
func (t *rawTrack) StreamID() string          { return t.stream }
func (t *rawTrack) Kind() webrtc.RTPCodecType { return webrtc.RTPCodecTypeAudio }

// WriteRTP sends p with the codec's payload type.
func (t *rawTrack) WriteRTP(p *rtp.Packet) error { return t.write(p, false) }

// write sends p as media, or as telephone-event when dtmf is set. Media
// and events share one sequence-number space, as on the wire.
func (t *rawTrack) write(p *rtp.Packet, dtmf bool) error {
	t.mu.Lock()
	w, ssrc, pt := t.writer, t.ssrc, t.pt
	if dtmf {
		pt = t.dtmfPT
	}
	t.seq++
	seq := t.seq
	t.mu.Unlock()
	if w == nil || pt == 0 {
		return errUnbound
	}
	h := p.Header
	h.SSRC, h.PayloadType, h.SequenceNumber = ssrc, pt, seq
	_, err := w.WriteRTP(&h, p.Payload)
	return err
}
