package siptrunk

import (
	"context"
	"strings"

	"github.com/pion/rtp"
)

// audioCodec is the one codec negotiated with the SIP peer.
type audioCodec struct {
	Name        string // pcmu, pcma (as in the config)
	MimeType    string // audio/PCMU …
	PayloadType uint8
}

// Known G.711 codecs with their static payload types.
var g711Codecs = map[string]audioCodec{
	"pcmu": {Name: "pcmu", MimeType: "audio/PCMU", PayloadType: 0},
	"pcma": {Name: "pcma", MimeType: "audio/PCMA", PayloadType: 8},
}

// telephoneEventPT is the payload type we offer for RFC 4733.
const telephoneEventPT = 101

// mediaSession is one SIP dialog's media back-end: ICE+DTLS-SRTP through a
// pion PeerConnection, or (later) DTLS-SRTP on a plain socket, SDES or RTP.
// SDP passed in and out is SIP-side SDP (already normalised).
type mediaSession interface {
	// Offer makes our SDP offer.
	Offer(ctx context.Context) (string, error)
	// Answer answers the peer's offer.
	Answer(ctx context.Context, offer string) (string, error)
	// Accept applies the peer's answer to our offer.
	Accept(answer string) error
	// LocalSDP is the SDP we last sent, for re-INVITE answers (pitfall 6).
	LocalSDP() string
	// Codec is the negotiated audio codec; valid after Answer/Accept.
	Codec() audioCodec
	// Start calls onRTP for every packet from the peer until Close.
	Start(onRTP func(p *rtp.Packet))
	// WriteAudio sends one frame of codec payload lasting samples.
	WriteAudio(payload []byte, samples uint32) error
	// WriteEvent sends the packets of one RFC 4733 event (same timestamp).
	WriteEvent(payloads [][]byte) error
	// Failed is closed when the media transport fails.
	Failed() <-chan struct{}
	// Close stops media and waits for its goroutines.
	Close() error
}

// chooseCodec picks the first of prefs that the SDP offers.
func chooseCodec(prefs []string, sdpText string) (audioCodec, bool) {
	for _, name := range prefs {
		c, ok := g711Codecs[strings.ToLower(name)]
		if !ok {
			continue
		}
		if offersPayload(sdpText, c) {
			return c, true
		}
	}
	return audioCodec{}, false
}

// offersPayload reports whether the audio m-line lists the codec's static
// payload type or an rtpmap names it.
func offersPayload(sdpText string, c audioCodec) bool {
	for _, l := range sdpLines(sdpText) {
		if strings.HasPrefix(l, "m=audio ") {
			f := strings.Fields(l)
			for _, pt := range f[min(3, len(f)):] {
				if pt == itoa(int(c.PayloadType)) {
					return true
				}
			}
		}
	}
	return false
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	n := len(b)
	for i > 0 {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
	}
	return string(b[n:])
}
