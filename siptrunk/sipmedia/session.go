package sipmedia

import (
	"context"
	"strings"

	"github.com/pion/rtp"
)

// Codec is the one codec negotiated with the SIP peer, with the
// telephone-event payload type that goes with it.
type Codec struct {
	Name        string // pcmu, pcma, opus (as in the config)
	MimeType    string // audio/PCMU …
	PayloadType uint8
	ClockRate   uint32 // RTP clock: 8000 for G.711, 48000 for Opus
	Channels    uint16 // as written in the rtpmap: 1, or 2 for Opus
	Encoding    string // rtpmap encoding name: PCMU, PCMA, opus
	// DTMFPayloadType is telephone-event, preferably at ClockRate (some
	// PBXs, e.g. Asterisk with Opus, offer it only at 8 kHz); valid when
	// HasDTMF. DTMFClockRate is its clock.
	DTMFPayloadType uint8
	DTMFClockRate   uint32
	HasDTMF         bool
}

// IsOpus reports whether the trunk carries Opus (no transcoding).
func (c Codec) IsOpus() bool { return c.Name == "opus" }

// knownCodecs are the trunk codecs with the payload types we offer.
var knownCodecs = map[string]Codec{
	"pcmu": {Name: "pcmu", MimeType: "audio/PCMU", PayloadType: 0, ClockRate: 8000, Channels: 1, Encoding: "PCMU"},
	"pcma": {Name: "pcma", MimeType: "audio/PCMA", PayloadType: 8, ClockRate: 8000, Channels: 1, Encoding: "PCMA"},
	"opus": {Name: "opus", MimeType: "audio/opus", PayloadType: 111, ClockRate: 48000, Channels: 2, Encoding: "opus"},
}

// Payload types we offer for telephone-event at 8 and 48 kHz.
const (
	telephoneEventPT   = 101
	telephoneEvent48PT = 110
)

// offeredCodec is codec name as we offer it: our payload types, with
// telephone-event at its clock rate.
func offeredCodec(name string) (Codec, bool) {
	c, ok := knownCodecs[strings.ToLower(name)]
	if !ok {
		return c, false
	}
	c.HasDTMF, c.DTMFPayloadType, c.DTMFClockRate = true, telephoneEventPT, c.ClockRate
	if c.ClockRate == 48000 {
		c.DTMFPayloadType = telephoneEvent48PT
	}
	return c, true
}

// Session is one SIP dialog's media back-end: ICE+DTLS-SRTP through a
// pion PeerConnection (pionMedia), or DTLS-SRTP without ICE, SDES-SRTP or
// plain RTP on a UDP socket (sockMedia). SDP passed in and out is SIP-side
// SDP (already normalised).
type Session interface {
	// Offer makes our SDP offer.
	Offer(ctx context.Context) (string, error)
	// Answer answers the peer's offer.
	Answer(ctx context.Context, offer string) (string, error)
	// Accept applies the peer's answer to our offer.
	Accept(answer string) error
	// Update applies the peer's in-dialog offer (re-INVITE, UPDATE) and
	// returns our answer; ErrUpdate: refuse the offer (488), the
	// media stays as it was.
	Update(offer string) (string, error)
	// LocalSDP is the SDP we last sent, for re-INVITE answers (pitfall 6).
	LocalSDP() string
	// Codec is the negotiated audio codec; valid after Answer/Accept.
	Codec() Codec
	// Encryption names the media protection for the status page.
	Encryption() string
	// Start calls onRTP for every packet from the peer until Close. The
	// packet is only valid during the call.
	Start(onRTP func(p *rtp.Packet))
	// WriteAudio sends one frame of codec payload lasting samples (in
	// the codec's clock).
	WriteAudio(payload []byte, samples uint32) error
	// SkipAudio moves the audio timestamp on by samples (in the codec's
	// clock) without sending: the sender was silent (Opus DTX) for that
	// long. The next packet carries the marker bit (RFC 3551 §4.1), so the
	// peer's jitter buffer sees the real gap instead of late packets.
	SkipAudio(samples uint32)
	// WriteEvent sends the packets of one RFC 4733 event (same timestamp).
	WriteEvent(payloads [][]byte) error
	// Received counts the packets (RTP, and RTCP where read) accepted
	// from the peer; the media timeout watches it.
	Received() uint64
	// Stats are the back-end's counters.
	Stats() Stats
	// Failed is closed when the media transport fails.
	Failed() <-chan struct{}
	// Close stops media and waits for its goroutines.
	Close() error
}

// chooseCodec picks the first of prefs that the SDP offers, with the
// peer's payload types (Opus and telephone-event are dynamic).
func chooseCodec(prefs []string, sdpText string) (Codec, bool) {
	m := parseSDPMedia(sdpText)
	for _, name := range prefs {
		c, ok := knownCodecs[strings.ToLower(name)]
		if !ok {
			continue
		}
		pt, ok := m.payloadFor(c)
		if !ok {
			continue
		}
		c.PayloadType = pt
		c.DTMFPayloadType, c.DTMFClockRate, c.HasDTMF = m.telephoneEvent(c.ClockRate)
		return c, true
	}
	return Codec{}, false
}
