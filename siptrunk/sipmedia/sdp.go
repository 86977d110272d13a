package sipmedia

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
)

// SDP normalisation between pion and SIP peers (TESTING.md pitfalls 1–7),
// on parsed SDP. SIP peers get a small SDP: no extmap, rtcp-fb, msid or
// ssrc lines, a real connection address and port, and no BUNDLE/mid
// unless they use it. pion gets what it needs: a=mid and a=group:BUNDLE,
// no ssrc lines.

// parse reads SDP text as pion/sdp does, and failing that in the form
// tolerant gives it; ok is false when even that does not parse.
func parse(s string) (*sdp.SessionDescription, bool) {
	if d, ok := parseStrict(s); ok {
		return d, true
	}
	return parseStrict(tolerant(s))
}

// parseStrict reads SDP text exactly as RFC 4566 (and pion) write it.
func parseStrict(s string) (*sdp.SessionDescription, bool) {
	var d sdp.SessionDescription
	if d.UnmarshalString(s) != nil {
		return nil, false
	}
	return &d, true
}

// marshal writes d, or gives back fallback if it cannot.
func marshal(d *sdp.SessionDescription, fallback string) string {
	b, err := d.Marshal()
	if err != nil {
		return fallback
	}
	return string(b)
}

// attrLists are the session's attributes and every section's, in order.
func attrLists(d *sdp.SessionDescription) [][]sdp.Attribute {
	out := [][]sdp.Attribute{d.Attributes}
	for _, m := range d.MediaDescriptions {
		out = append(out, m.Attributes)
	}
	return out
}

// firstAttr is the value of the first attribute key in d, at session or
// any media level.
func firstAttr(d *sdp.SessionDescription, key string) (string, bool) {
	for _, attrs := range attrLists(d) {
		for _, a := range attrs {
			if a.Key == key {
				return a.Value, true
			}
		}
	}
	return "", false
}

// replaceAttr gives the first attribute key with value old in s the value
// new, at whatever level it is.
func replaceAttr(s, key, old, new string) string {
	d, ok := parse(s)
	if !ok {
		return s
	}
	for _, attrs := range attrLists(d) {
		for i, a := range attrs {
			if a.Key == key && a.Value == old {
				attrs[i].Value = new
				return marshal(d, s)
			}
		}
	}
	return s
}

// hasAttr reports whether SDP text s has attribute key anywhere.
func hasAttr(s, key string) bool {
	d, ok := parse(s)
	if !ok {
		return false
	}
	_, ok = firstAttr(d, key)
	return ok
}

// hasICE reports whether the SDP carries ICE credentials.
func hasICE(s string) bool { return hasAttr(s, "ice-ufrag") }

// hasFingerprint reports whether the SDP offers DTLS-SRTP.
func hasFingerprint(s string) bool { return hasAttr(s, "fingerprint") }

// rejected reports whether a section has port 0 (a refused stream).
func rejected(m *sdp.MediaDescription) bool { return m.MediaName.Port.Value == 0 }

// droppedForSIP are attribute key prefixes removed from SDP sent to SIP
// peers.
var droppedForSIP = []string{"extmap", "rtcp-fb", "msid", "ssrc", "ice-options"}

// toSIP rewrites pion's SDP for a SIP peer: trimmed for UDP size, the
// connection address and media port from the first host candidate,
// component-2 candidates removed, and BUNDLE/mid dropped unless keepMid.
// With video bundled next to the audio it keeps the video's rtcp-fb
// (NACK, PLI, FIR) and every section's a=ssrc cname line: a bundled PBX
// such as Asterisk routes our packets to its streams only by the SSRCs
// we declare, and drops the rest (no media at all, either way).
func toSIP(pionSDP string, keepMid, video bool) (string, error) {
	d, ok := parse(pionSDP)
	if !ok {
		return "", fmt.Errorf("%w: pion's SDP does not parse", ErrSDP)
	}
	ip, port, ok := firstCandidate(d)
	if !ok {
		return "", fmt.Errorf("%w: no ICE candidate gathered", ErrSDP)
	}
	d.Origin.UnicastAddress = ip
	setAddr(d.ConnectionInformation, ip)
	d.Attributes = slices.DeleteFunc(d.Attributes, func(a sdp.Attribute) bool { return dropForSIP(a, keepMid, video) })
	for _, m := range d.MediaDescriptions {
		setAddr(m.ConnectionInformation, ip)
		if !rejected(m) {
			m.MediaName.Port.Value = port
		}
		m.Attributes = slices.DeleteFunc(m.Attributes, func(a sdp.Attribute) bool { return dropForSIP(a, keepMid, video) })
	}
	return marshal(d, pionSDP), nil
}

// dropForSIP reports whether a SIP peer goes without attribute a.
func dropForSIP(a sdp.Attribute, keepMid, video bool) bool {
	switch {
	case video && (a.Key == "rtcp-fb" || a.Key == "ssrc" && strings.Contains(a.Value, " cname:")):
		return false
	case slices.ContainsFunc(droppedForSIP, func(p string) bool { return strings.HasPrefix(a.Key, p) }):
		return true
	case !keepMid && (a.Key == "group" && strings.HasPrefix(a.Value, "BUNDLE") || a.Key == "mid"):
		return true
	}
	return a.Key == "candidate" && candidateField(a.Value, 1) != "1"
}

// setAddr points an IPv4 connection line at ip.
func setAddr(c *sdp.ConnectionInformation, ip string) {
	if c != nil && c.NetworkType == "IN" && c.AddressType == "IP4" && c.Address != nil {
		c.Address.Address = ip
	}
}

// firstCandidate returns the address and port of the first component-1
// candidate: "a=candidate:f c udp prio IP PORT typ host".
func firstCandidate(d *sdp.SessionDescription) (string, int, bool) {
	for _, attrs := range attrLists(d) {
		for _, a := range attrs {
			if a.Key != "candidate" || candidateField(a.Value, 1) != "1" {
				continue
			}
			if port, err := strconv.Atoi(candidateField(a.Value, 5)); err == nil && candidateField(a.Value, 4) != "" {
				return candidateField(a.Value, 4), port, true
			}
		}
	}
	return "", 0, false
}

// candidateField is field i of a candidate attribute's value.
func candidateField(v string, i int) string { return safeIndex(strings.Fields(v), i) }

// fromSIP prepares a peer's SDP for pion: ssrc lines removed (they may
// not match what the peer sends), a=mid and a=group:BUNDLE added when
// missing. It reports whether the peer used mids itself. Without ssrc
// lines pion finds a bundled peer's audio and video by payload type,
// also when the peer changes its SSRC mid-call. A refused section's
// formats become "0", as pion writes them: pion rejects a payload type
// it finds no rtpmap for, which a refusal rarely carries. A peer that uses mids
// may still leave them off a section it refuses (Asterisk's "m=video 0"
// answer): that section gets its position as mid, which is what pion
// gave it in our offer. SDP that does not parse is passed on for pion
// to refuse.
func fromSIP(peerSDP string) (string, bool) {
	d, ok := parse(peerSDP)
	if !ok {
		return peerSDP, false
	}
	hadMid := slices.ContainsFunc(d.MediaDescriptions, func(m *sdp.MediaDescription) bool { _, ok := m.Attribute("mid"); return ok })
	d.Attributes = slices.DeleteFunc(d.Attributes, func(a sdp.Attribute) bool {
		return strings.HasPrefix(a.Key, "ssrc") || !hadMid && a.Key == "group" && strings.HasPrefix(a.Value, "BUNDLE")
	})
	var mids []string
	for i, m := range d.MediaDescriptions {
		m.Attributes = slices.DeleteFunc(m.Attributes, func(a sdp.Attribute) bool { return strings.HasPrefix(a.Key, "ssrc") })
		if rejected(m) && len(m.MediaName.Formats) > 0 {
			m.MediaName.Formats = []string{"0"}
		}
		if _, ok := m.Attribute("mid"); !ok {
			mid := strconv.Itoa(i) // the section's position
			mids = append(mids, mid)
			m.Attributes = append([]sdp.Attribute{sdp.NewAttribute("mid", mid)}, m.Attributes...)
		}
	}
	if !hadMid && len(mids) > 0 {
		d.Attributes = append(d.Attributes, sdp.NewAttribute("group", "BUNDLE "+strings.Join(mids, " ")))
	}
	return marshal(d, peerSDP), hadMid
}

func safeIndex(f []string, i int) string {
	if i < len(f) {
		return f[i]
	}
	return ""
}
