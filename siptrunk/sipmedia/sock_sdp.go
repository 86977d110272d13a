package sipmedia

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
)

// protos are the m-line transports of each kind: what we offer first.
var protos = map[sockKind][]string{
	sockRTP:  {"RTP/AVP", "RTP/AVPF"},
	sockSDES: {"RTP/SAVP", "RTP/SAVPF"},
	sockDTLS: {"UDP/TLS/RTP/SAVP", "UDP/TLS/RTP/SAVPF"},
}

// Offer offers every configured codec with telephone-event at 8 and, for
// Opus, 48 kHz; DTLS offers actpass, SDES a fresh AES_CM_128_HMAC_SHA1_80
// key. RTCP mux is offered; without it RTCP uses the port above RTP.
func (m *sockMedia) Offer(context.Context) (string, error) {
	var codecs []Codec
	for _, p := range m.prefs {
		if c, ok := offeredCodec(p); ok {
			codecs = append(codecs, c)
		}
	}
	if len(codecs) == 0 {
		return "", fmt.Errorf("%w: no known codec configured", ErrConfig)
	}
	attrs, err := m.offerSecurity()
	if err != nil {
		return "", err
	}
	// telephone-event at 8 kHz always: many peers (baresip, Asterisk)
	// know it only at 8 kHz, also with Opus.
	events := eventsOf(codecs)
	events[telephoneEventPT] = 8000
	m.local = m.buildSDP(protos[m.kind][0], codecs, events, true, attrs)
	if m.wantVideo {
		if err := m.offerVideo(); err != nil {
			return "", err
		}
	}
	return m.local, nil
}

// offerSecurity is an offered section's DTLS role and fingerprint, or a
// fresh SDES key of this stream's.
func (m *sockMedia) offerSecurity() ([]sdp.Attribute, error) {
	switch m.kind {
	case sockDTLS:
		return []sdp.Attribute{sdp.NewAttribute("setup", "actpass"), sdp.NewAttribute("fingerprint", m.id.fingerprint)}, nil
	case sockSDES:
		k, err := newSDESKey("1", 0)
		if err != nil {
			return nil, err
		}
		m.sdes = k
		return []sdp.Attribute{sdp.NewAttribute("crypto", k.line())}, nil
	}
	return nil, nil
}

// Answer accepts an offer of our kind: the transport must match the
// trunk's configured media (a peer offering plain RTP to an SRTP trunk is
// refused, never downgraded).
func (m *sockMedia) Answer(_ context.Context, offer string) (string, error) {
	m.peer = parseSDPMedia(offer)
	if !m.acceptsProto(m.peer.proto) {
		return "", fmt.Errorf("%w: offer's %q does not match the trunk's media", ErrSDP, m.peer.proto)
	}
	c, ok := chooseCodec(m.prefs, offer)
	if !ok {
		return "", fmt.Errorf("%w: no common codec", ErrSDP)
	}
	m.codec = c
	attrs, err := m.answerSecurity()
	if err != nil {
		return "", err
	}
	if err := m.setRemote(); err != nil {
		return "", err
	}
	m.local = rejectOthers(offer, m.buildSDP(m.canonicalProto(m.peer.proto), []Codec{c}, eventsOf([]Codec{c}), m.peer.rtcpMux, attrs))
	if m.wantVideo && OffersVideo(offer) {
		m.answerVideo(offer)
	}
	return m.local, nil
}

// answerSecurity picks the SDES suite or DTLS role for our answer. We
// answer an actpass offer passive, so the peer starts the handshake when
// our answer (the 200, after ringing) reaches it, with our fingerprint.
func (m *sockMedia) answerSecurity() ([]sdp.Attribute, error) {
	switch m.kind {
	case sockDTLS:
		if m.peer.fingerprint == "" {
			return nil, fmt.Errorf("%w: DTLS offer without fingerprint", ErrSDP)
		}
		setup := "passive"
		if m.peer.setup == "passive" {
			setup = "active"
		}
		return []sdp.Attribute{sdp.NewAttribute("setup", setup), sdp.NewAttribute("fingerprint", m.id.fingerprint)}, nil
	case sockSDES:
		return m.answerSDES()
	}
	return nil, nil
}

// ourKeyFor makes a fresh key of ours in the suite and tag of theirs.
func ourKeyFor(theirs sdesKey) (sdesKey, error) {
	i := 0
	for j, s := range sdesSuites {
		if s.name == theirs.suite {
			i = j
		}
	}
	return newSDESKey(theirs.tag, i)
}

// answerSDES takes the first offered crypto line we support.
func (m *sockMedia) answerSDES() ([]sdp.Attribute, error) {
	for _, line := range m.peer.crypto {
		theirs, ok := parseCrypto(line)
		if !ok {
			continue
		}
		ours, err := ourKeyFor(theirs)
		if err != nil {
			return nil, err
		}
		pair, err := sdesPair(ours, theirs)
		if err != nil {
			return nil, err
		}
		m.sdes, m.peerKey = ours, theirs
		m.sec.Store(pair)
		return []sdp.Attribute{sdp.NewAttribute("crypto", ours.line())}, nil
	}
	return nil, fmt.Errorf("%w: no supported SDES crypto suite offered", ErrSDP)
}

// Accept applies the peer's answer to our offer.
func (m *sockMedia) Accept(answer string) error {
	m.peer = parseSDPMedia(answer)
	if !m.acceptsProto(m.peer.proto) {
		return fmt.Errorf("%w: answer's %q does not match our offer", ErrSDP, m.peer.proto)
	}
	c, ok := chooseCodec(m.prefs, answer)
	if !ok {
		return fmt.Errorf("%w: answer has none of our codecs", ErrSDP)
	}
	m.codec = c
	switch m.kind {
	case sockDTLS:
		if m.peer.fingerprint == "" {
			return fmt.Errorf("%w: DTLS answer without fingerprint", ErrSDP)
		}
		// Our re-offers and answers later in the dialog keep the role
		// the answer gave us: actpass there would offer a new association.
		role := "passive"
		if dtlsClient(m.peer.setup) {
			role = "active"
		}
		m.local = replaceAttr(m.local, "setup", "actpass", role)
	case sockSDES:
		if err := m.acceptSDES(); err != nil {
			return err
		}
	}
	if err := m.setRemote(); err != nil {
		return err
	}
	if m.vid != nil {
		m.acceptVideo(answer)
	}
	return nil
}

// acceptSDES keys the session from the answer's crypto line.
func (m *sockMedia) acceptSDES() error {
	for _, line := range m.peer.crypto {
		if theirs, ok := parseCrypto(line); ok && theirs.suite == m.sdes.suite {
			pair, err := sdesPair(m.sdes, theirs)
			if err != nil {
				return err
			}
			m.peerKey = theirs
			m.sec.Store(pair)
			return nil
		}
	}
	return fmt.Errorf("%w: answer lacks a matching SDES crypto line", ErrSDP)
}

func (m *sockMedia) acceptsProto(p string) bool { return m.canonicalProto(p) != "" }

// canonicalProto is our spelling of the peer's transport protocol, ""
// when we do not speak it (answers never echo a peer's odd casing).
func (m *sockMedia) canonicalProto(p string) string {
	for _, q := range protos[m.kind] {
		if strings.EqualFold(p, q) {
			return q
		}
	}
	return ""
}

// setRemote takes the peer's RTP address from its SDP until latching.
func (m *sockMedia) setRemote() error {
	a, ok := m.peer.remote()
	if !ok {
		return fmt.Errorf("%w: no usable connection address and port", ErrSDP)
	}
	m.sdpAddr = a
	m.remote.Store(&a)
	r := rtcpAddrOf(m.peer, a)
	m.rtcpRemote.Store(&r)
	return nil
}

// eventsOf maps the codecs' telephone-event payload types to clocks.
func eventsOf(codecs []Codec) map[uint8]uint32 {
	ev := map[uint8]uint32{}
	for _, c := range codecs {
		if c.HasDTMF {
			ev[c.DTMFPayloadType] = c.DTMFClockRate
		}
	}
	return ev
}

// buildSDP writes our SDP: one audio section on our socket with codecs
// and telephone-events (payload type → clock), then attrs.
func (m *sockMedia) buildSDP(proto string, codecs []Codec, events map[uint8]uint32, mux bool, attrs []sdp.Attribute) string {
	ip := m.ip.String()
	md := &sdp.MediaDescription{MediaName: sdp.MediaName{Media: "audio", Port: sdp.RangedPort{Value: m.port()},
		Protos: strings.Split(proto, "/")}}
	for _, c := range codecs {
		pt := strconv.Itoa(int(c.PayloadType))
		md.MediaName.Formats = append(md.MediaName.Formats, pt)
		md.WithValueAttribute("rtpmap", pt+" "+rtpmapOf(c))
		if f := fmtpOf(c); f != "" {
			md.WithValueAttribute("fmtp", pt+" "+f)
		}
	}
	for _, n := range slices.Sorted(maps.Keys(events)) {
		pt := strconv.Itoa(int(n))
		md.MediaName.Formats = append(md.MediaName.Formats, pt)
		md.WithValueAttribute("rtpmap", pt+" telephone-event/"+strconv.Itoa(int(events[n])))
		md.WithValueAttribute("fmtp", pt+" 0-16")
	}
	md.WithValueAttribute("ptime", "20").WithPropertyAttribute(SendRecv).WithValueAttribute("rtcp", strconv.Itoa(m.port()+1))
	if mux {
		md.WithPropertyAttribute("rtcp-mux")
	}
	md.Attributes = append(md.Attributes, attrs...)
	d := &sdp.SessionDescription{
		Origin: sdp.Origin{Username: "xphone", SessionID: uint64(rand.Uint32() >> 1), SessionVersion: 1,
			NetworkType: "IN", AddressType: "IP4", UnicastAddress: ip},
		SessionName:           "xphone",
		ConnectionInformation: &sdp.ConnectionInformation{NetworkType: "IN", AddressType: "IP4", Address: &sdp.Address{Address: ip}},
		TimeDescriptions:      []sdp.TimeDescription{{}},
		MediaDescriptions:     []*sdp.MediaDescription{md},
	}
	return marshal(d, "")
}

// rtpmapOf is "ENC/RATE[/CH]".
func rtpmapOf(c Codec) string {
	s := c.Encoding + "/" + strconv.Itoa(int(c.ClockRate))
	if c.Channels > 1 {
		s += "/" + strconv.Itoa(int(c.Channels))
	}
	return s
}
