package sipmedia

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
)

// sdpMedia is what the socket back-ends need from a peer's SDP: the first
// audio m-section with its session-level defaults applied.
type sdpMedia struct {
	addr        netip.Addr // c= (media level wins over session level)
	port        int
	proto       string // RTP/AVP, RTP/SAVP, UDP/TLS/RTP/SAVP …
	payloads    []uint8
	rtpmap      map[uint8]string // "opus/48000/2"
	fmtp        map[uint8]string // a=fmtp values by payload type
	rtcpMux     bool
	rtcpPort    int    // a=rtcp (RFC 3605); 0: RTP port + 1
	setup       string // actpass, active, passive
	fingerprint string // "sha-256 AB:CD…"
	crypto      []string
	ice         bool
	direction   string // sendrecv … ("" when not given: sendrecv); the section's wins
}

// parseSDPMedia reads the first audio section of s with the session's
// defaults (its c= line, its attributes). SDP that does not parse, or
// has no audio section, leaves port 0.
func parseSDPMedia(s string) sdpMedia { return parseSDPSection(s, "audio") }

// parseSDPSection reads the first section of media kind ("audio",
// "video") as parseSDPMedia does.
func parseSDPSection(s, kind string) sdpMedia {
	m := sdpMedia{rtpmap: map[uint8]string{}, fmtp: map[uint8]string{}}
	d, ok := parse(s)
	if !ok {
		return m
	}
	m.connection(d.ConnectionInformation)
	for _, a := range d.Attributes {
		m.parseAttr(a, false)
	}
	i := slices.IndexFunc(d.MediaDescriptions, func(md *sdp.MediaDescription) bool { return md.MediaName.Media == kind })
	if i < 0 {
		return m
	}
	md := d.MediaDescriptions[i]
	m.port, m.proto = md.MediaName.Port.Value, strings.Join(md.MediaName.Protos, "/")
	for _, f := range md.MediaName.Formats {
		if n, err := strconv.Atoi(f); err == nil && n >= 0 && n < 128 {
			m.payloads = append(m.payloads, uint8(n))
		}
	}
	m.connection(md.ConnectionInformation) // the media level's wins
	for _, a := range md.Attributes {
		m.parseAttr(a, true)
	}
	return m
}

// connection takes an IN IP4/IP6 connection address.
func (m *sdpMedia) connection(c *sdp.ConnectionInformation) {
	if c == nil || c.NetworkType != "IN" || c.Address == nil {
		return
	}
	if a, err := netip.ParseAddr(c.Address.Address); err == nil {
		m.addr = a
	}
}

// parseAttr reads one session- or audio-level attribute.
func (m *sdpMedia) parseAttr(a sdp.Attribute, media bool) {
	v := strings.TrimSpace(a.Value)
	switch a.Key {
	case "rtpmap":
		pt, enc, ok := strings.Cut(v, " ")
		if n, err := strconv.Atoi(pt); ok && err == nil && n >= 0 && n < 128 {
			m.rtpmap[uint8(n)] = strings.TrimSpace(enc)
		}
	case "fmtp":
		pt, v, ok := strings.Cut(v, " ")
		if n, err := strconv.Atoi(pt); ok && err == nil && n >= 0 && n < 128 {
			m.fmtp[uint8(n)] = strings.TrimSpace(v)
		}
	case "rtcp":
		if f := strings.Fields(v); media && len(f) > 0 {
			m.rtcpPort, _ = strconv.Atoi(f[0])
		}
	case "rtcp-mux":
		m.rtcpMux = true
	case "setup":
		m.setup = v
	case "fingerprint":
		m.fingerprint = v
	case "crypto":
		m.crypto = append(m.crypto, v)
	case "ice-ufrag":
		m.ice = true
	case SendRecv, SendOnly, RecvOnly, Inactive:
		m.direction = a.Key
	}
}

// payloadFor returns the payload type the section uses for c: a static
// type listed on the m-line, or a dynamic one whose rtpmap names c.
func (m sdpMedia) payloadFor(c Codec) (uint8, bool) {
	for _, pt := range m.payloads {
		enc, mapped := m.rtpmap[pt]
		if mapped && rtpmapIs(enc, c.Encoding, c.ClockRate) {
			return pt, true
		}
		if !mapped && pt < 96 && pt == c.PayloadType {
			return pt, true
		}
	}
	return 0, false
}

// telephoneEvent returns the payload type and clock of telephone-event
// at rate, else of the first other telephone-event.
func (m sdpMedia) telephoneEvent(rate uint32) (uint8, uint32, bool) {
	var other uint8
	var otherRate uint32
	found := false
	for _, pt := range m.payloads {
		enc := m.rtpmap[pt]
		if rtpmapIs(enc, "telephone-event", rate) {
			return pt, rate, true
		}
		f := strings.Split(enc, "/")
		if r, err := strconv.Atoi(safeIndex(f, 1)); !found && err == nil && r > 0 && strings.EqualFold(f[0], "telephone-event") {
			other, otherRate, found = pt, uint32(r), true
		}
	}
	return other, otherRate, found
}

// rtpmapIs reports whether "enc/rate[/ch]" names encoding at rate.
func rtpmapIs(rtpmap, encoding string, rate uint32) bool {
	f := strings.Split(rtpmap, "/")
	return len(f) >= 2 && strings.EqualFold(f[0], encoding) && f[1] == strconv.Itoa(int(rate))
}

// remote is the peer's RTP address from c= and the m-line port.
func (m sdpMedia) remote() (netip.AddrPort, bool) {
	if !m.addr.IsValid() || m.addr.IsUnspecified() || m.port <= 0 || m.port > 65535 {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(m.addr, uint16(m.port)), true
}

// videoSection is the first video m-section of s; ok is false when s
// has none (or does not parse).
func videoSection(s string) (*sdp.MediaDescription, bool) {
	d, ok := parse(s)
	if !ok {
		return nil, false
	}
	i := slices.IndexFunc(d.MediaDescriptions, func(md *sdp.MediaDescription) bool { return md.MediaName.Media == "video" })
	if i < 0 {
		return nil, false
	}
	return d.MediaDescriptions[i], true
}

// videoKept reports whether s has a video m-section that is not
// rejected (port 0).
func videoKept(s string) bool {
	v, ok := videoSection(s)
	return ok && !rejected(v)
}

// OffersVP8 reports whether s offers VP8 video.
func OffersVP8(s string) bool {
	v, ok := videoSection(s)
	if !ok || rejected(v) || len(v.MediaName.Formats) == 0 {
		return false
	}
	return slices.ContainsFunc(v.Attributes, func(a sdp.Attribute) bool {
		_, enc, _ := strings.Cut(a.Value, " ")
		return a.Key == "rtpmap" && rtpmapIs(enc, "VP8", 90000)
	})
}

// videoFeedback reports which keyframe requests the video section of s
// takes (a=rtcp-fb for any of its payload types, or "*").
func videoFeedback(s string) (pli, fir bool) {
	v, ok := videoSection(s)
	if !ok {
		return false, false
	}
	for _, a := range v.Attributes {
		if a.Key != "rtcp-fb" {
			continue
		}
		_, fb, _ := strings.Cut(a.Value, " ")
		switch strings.ToLower(strings.Join(strings.Fields(fb), " ")) {
		case "nack pli":
			pli = true
		case "ccm fir":
			fir = true
		}
	}
	return pli, fir
}

// rejectOthers gives an answer of one audio section the offer's other
// m-sections back, in the offer's order, each refused with port 0 (RFC
// 3264 §6): an audio-only back-end answering a peer's audio+video offer
// must still say no to the video, not leave it out.
func rejectOthers(offer, answer string) string {
	o, ok := parse(offer)
	a, ok2 := parse(answer)
	if !ok || !ok2 {
		return answer
	}
	ours := a.MediaDescriptions
	a.MediaDescriptions = nil
	audioDone := false
	for _, md := range o.MediaDescriptions {
		n := md.MediaName
		if n.Media == "" || len(n.Formats) == 0 {
			continue // a section without a media name or format: nothing to refuse
		}
		if !audioDone && n.Media == "audio" {
			a.MediaDescriptions, audioDone = append(a.MediaDescriptions, ours...), true
			continue
		}
		a.MediaDescriptions = append(a.MediaDescriptions, &sdp.MediaDescription{MediaName: sdp.MediaName{
			Media: n.Media, Port: sdp.RangedPort{Value: 0}, Protos: n.Protos, Formats: n.Formats[:1]}})
	}
	if !audioDone {
		return answer
	}
	// A section the peer wrote badly (a media name or transport that is no
	// SDP token) cannot be echoed back refused without making our answer
	// unparsable too; then the answer keeps its audio section alone.
	joined := marshal(a, answer)
	if _, ok := parseStrict(joined); !ok {
		return answer
	}
	return joined
}
