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
	rtcpMux     bool
	rtcpPort    int    // a=rtcp (RFC 3605); 0: RTP port + 1
	setup       string // actpass, active, passive
	fingerprint string // "sha-256 AB:CD…"
	crypto      []string
	ice         bool
}

// parseSDPMedia reads the first audio section of s. Unknown lines are
// ignored; a missing audio section leaves port 0.
func parseSDPMedia(s string) sdpMedia {
	m := sdpMedia{rtpmap: map[uint8]string{}}
	inAudio, seenAudio := false, false
	for _, l := range sdpLines(s) {
		if strings.HasPrefix(l, "m=") {
			inAudio = !seenAudio && strings.HasPrefix(l, "m=audio ")
			if inAudio {
				seenAudio = true
				m.parseMLine(l)
			}
			continue
		}
		if seenAudio && !inAudio {
			continue // a later section
		}
		m.parseAttr(l, inAudio)
	}
	return m
}

func (m *sdpMedia) parseMLine(l string) {
	f := strings.Fields(l)
	if len(f) < 4 {
		return
	}
	m.port, _ = strconv.Atoi(f[1])
	m.proto = f[2]
	for _, p := range f[3:] {
		if n, err := strconv.Atoi(p); err == nil && n >= 0 && n < 128 {
			m.payloads = append(m.payloads, uint8(n))
		}
	}
}

// parseAttr reads one session- or audio-level line.
func (m *sdpMedia) parseAttr(l string, media bool) {
	switch {
	case strings.HasPrefix(l, "c=IN IP4 ") || strings.HasPrefix(l, "c=IN IP6 "):
		if a, err := netip.ParseAddr(safeIndex(strings.Fields(l[9:]), 0)); err == nil && (media || !m.addr.IsValid()) {
			m.addr = a
		}
	case strings.HasPrefix(l, "a=rtpmap:"):
		pt, enc, ok := strings.Cut(l[len("a=rtpmap:"):], " ")
		if n, err := strconv.Atoi(pt); ok && err == nil && n >= 0 && n < 128 {
			m.rtpmap[uint8(n)] = strings.TrimSpace(enc)
		}
	case strings.HasPrefix(l, "a=rtcp:") && media:
		if f := strings.Fields(l[len("a=rtcp:"):]); len(f) > 0 {
			m.rtcpPort, _ = strconv.Atoi(f[0])
		}
	case l == "a=rtcp-mux":
		m.rtcpMux = true
	case strings.HasPrefix(l, "a=setup:"):
		m.setup = strings.TrimSpace(l[len("a=setup:"):])
	case strings.HasPrefix(l, "a=fingerprint:"):
		m.fingerprint = strings.TrimSpace(l[len("a=fingerprint:"):])
	case strings.HasPrefix(l, "a=crypto:"):
		m.crypto = append(m.crypto, strings.TrimSpace(l[len("a=crypto:"):]))
	case strings.HasPrefix(l, "a=ice-ufrag:"):
		m.ice = true
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

func safeIndex(f []string, i int) string {
	if i < len(f) {
		return f[i]
	}
	return ""
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

// videoSection is the first video m-section of s: its m-line fields and
// attribute lines; ok is false when s has none.
func videoSection(s string) (mline []string, attrs []string, ok bool) {
	for _, l := range sdpLines(s) {
		if strings.HasPrefix(l, "m=") {
			if ok {
				return mline, attrs, true
			}
			if strings.HasPrefix(l, "m=video ") {
				mline, ok = strings.Fields(l), true
			}
			continue
		}
		if ok {
			attrs = append(attrs, l)
		}
	}
	return mline, attrs, ok
}

// videoKept reports whether s has a video m-section that is not
// rejected (port 0).
func videoKept(s string) bool {
	m, _, ok := videoSection(s)
	return ok && len(m) > 1 && m[1] != "0"
}

// OffersVP8 reports whether s offers VP8 video.
func OffersVP8(s string) bool {
	m, attrs, ok := videoSection(s)
	if !ok || len(m) < 4 || m[1] == "0" {
		return false
	}
	for _, a := range attrs {
		if v, ok := strings.CutPrefix(a, "a=rtpmap:"); ok {
			if _, enc, _ := strings.Cut(v, " "); rtpmapIs(enc, "VP8", 90000) {
				return true
			}
		}
	}
	return false
}

// videoFeedback reports which keyframe requests the video section of s
// takes (a=rtcp-fb for any of its payload types, or "*").
func videoFeedback(s string) (pli, fir bool) {
	_, attrs, _ := videoSection(s)
	for _, a := range attrs {
		v, ok := strings.CutPrefix(a, "a=rtcp-fb:")
		if !ok {
			continue
		}
		_, fb, _ := strings.Cut(v, " ")
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
	lines := sdpLines(answer)
	at := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "m=") })
	if at < 0 {
		return answer
	}
	out := slices.Clone(lines[:at])
	audioDone := false
	for _, l := range sdpLines(offer) {
		f := strings.Fields(l)
		if !strings.HasPrefix(l, "m=") || len(f) < 4 || f[0] == "m=" {
			continue // not a section, or one without a media name: nothing to refuse
		}
		if !audioDone && f[0] == "m=audio" {
			out, audioDone = append(out, lines[at:]...), true
			continue
		}
		out = append(out, f[0]+" 0 "+f[2]+" "+f[3])
	}
	if !audioDone {
		return answer
	}
	// A section the peer wrote badly (a media name or transport that is no
	// SDP token) cannot be echoed back refused without making our answer
	// unparsable too; then the answer keeps its audio section alone.
	joined := joinSDP(out)
	var check sdp.SessionDescription
	if check.UnmarshalString(joined) != nil {
		return answer
	}
	return joined
}
