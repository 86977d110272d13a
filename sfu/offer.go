package sfu

import (
	"slices"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
)

// offer is what the server needs to know of a browser's SDP offer. Every
// field is read from the SDP itself, never assumed from one browser's
// habits: Firefox, for one, marks every m-section after the first
// "a=bundle-only" with port 0, writes a=ssrc lines for its simulcast
// layers, and numbers its payload types and extensions its own way
// (docs/signaling.md, "What each browser sends").
type offer struct {
	sends, receives map[Kind]bool
	codecs          map[Kind][]string // MIME types offered per kind, in offer order
	videoRIDs       []string          // simulcast layers the browser sends, lowest first
	ridExtension    bool              // the video m-section offers the rtp-stream-id header extension
	h264            bool              // some video section offers H.264 the server forwards (h264.go)
	// preferH264 puts H.264 before VP8 when a section offers both (the
	// media.video_codec policy); by default VP8 comes first.
	preferH264 bool
}

// parseOffer reads directions, codecs and simulcast send layers per kind.
func parseOffer(text string) offer {
	o := offer{sends: map[Kind]bool{}, receives: map[Kind]bool{}, codecs: map[Kind][]string{}}
	var parsed sdp.SessionDescription
	if err := parsed.UnmarshalString(text); err != nil {
		return o
	}
	for _, md := range parsed.MediaDescriptions {
		kind, ok := kindOf(md.MediaName.Media)
		if !ok || rejected(md) {
			continue
		}
		dir := mediaDirection(md)
		o.sends[kind] = o.sends[kind] || dir == "sendrecv" || dir == "sendonly"
		o.receives[kind] = o.receives[kind] || dir == "sendrecv" || dir == "recvonly"
		o.h264 = o.h264 || kind == Video && hasUsableH264(md)
		for _, c := range offeredCodecs(md, kind) {
			if !slices.Contains(o.codecs[kind], c) {
				o.codecs[kind] = append(o.codecs[kind], c)
			}
		}
		if kind == Video && o.videoRIDs == nil && (dir == "sendrecv" || dir == "sendonly") {
			o.videoRIDs = orderLayers(simulcastSendRIDs(md), ridRestrictions(md))
			o.ridExtension = hasExtension(md, sdp.SDESRTPStreamIDURI)
		}
	}
	return o
}

// readOffer is parseOffer with the server's video codec policy.
func (m *MediaAPI) readOffer(text string) offer {
	o := parseOffer(text)
	o.preferH264 = m.preferH264
	return o
}

// rejected reports whether an offered m-section is turned off. Port 0 alone
// does not say so: with BUNDLE an offerer may mark every m-section but the
// first "a=bundle-only" and give it port 0 (RFC 9143 §7.2), which Firefox
// does for its video; such a section is in use.
func rejected(md *sdp.MediaDescription) bool {
	if md.MediaName.Port.Value != 0 {
		return false
	}
	_, bundleOnly := md.Attribute("bundle-only")
	return !bundleOnly
}

// offeredCodecs lists the media codecs (as "video/VP8") an m-section
// offers; retransmission, FEC and DTMF formats are left out.
func offeredCodecs(md *sdp.MediaDescription, kind Kind) []string {
	var out []string
	for _, a := range md.Attributes {
		if a.Key != "rtpmap" {
			continue
		}
		_, enc, ok := strings.Cut(a.Value, " ")
		if !ok {
			continue
		}
		name, _, _ := strings.Cut(enc, "/")
		switch strings.ToLower(name) {
		case "rtx", "red", "ulpfec", "flexfec-03", "telephone-event", "cn":
			continue
		}
		out = append(out, kind.String()+"/"+name)
	}
	return out
}

// hasExtension reports whether the m-section offers the header extension uri.
func hasExtension(md *sdp.MediaDescription, uri string) bool {
	for _, a := range md.Attributes {
		if a.Key != "extmap" {
			continue
		}
		fields := strings.Fields(a.Value)
		if len(fields) >= 2 && fields[1] == uri {
			return true
		}
	}
	return false
}

// simulcastSendRIDs reads "a=simulcast:send q;h;f" (alternatives after a
// comma and paused "~" layers included), keeping only layers that also
// have an "a=rid:X send" line, as RFC 8853 requires.
func simulcastSendRIDs(md *sdp.MediaDescription) []string {
	v, ok := md.Attribute("simulcast")
	if !ok {
		return nil
	}
	declared := sendRIDs(md)
	fields := strings.Fields(v)
	for i := 0; i+1 < len(fields); i += 2 {
		if fields[i] != "send" {
			continue
		}
		var rids []string
		for _, alt := range strings.Split(fields[i+1], ";") {
			for _, rid := range strings.Split(alt, ",") {
				rid = strings.TrimPrefix(rid, "~")
				if rid != "" && !slices.Contains(rids, rid) && (declared == nil || slices.Contains(declared, rid)) {
					rids = append(rids, rid)
				}
			}
		}
		return rids
	}
	return nil
}

// sendRIDs lists the "a=rid:X send" layers of an m-section (nil if none).
func sendRIDs(md *sdp.MediaDescription) []string {
	var out []string
	for _, a := range md.Attributes {
		if a.Key != "rid" {
			continue
		}
		f := strings.Fields(a.Value)
		if len(f) >= 2 && f[1] == "send" {
			out = append(out, f[0])
		}
	}
	return out
}

// ridRestrictions reads the size a layer is limited to ("a=rid:f send
// max-width=1280;max-height=720"), in pixels; layers without one are absent.
func ridRestrictions(md *sdp.MediaDescription) map[string]int {
	out := map[string]int{}
	for _, a := range md.Attributes {
		if a.Key != "rid" {
			continue
		}
		f := strings.Fields(a.Value)
		if len(f) < 3 || f[1] != "send" {
			continue
		}
		w, h := 0, 0
		for _, p := range strings.Split(f[2], ";") {
			k, v, _ := strings.Cut(p, "=")
			n, _ := strconv.Atoi(v)
			switch k {
			case "max-width":
				w = n
			case "max-height":
				h = n
			}
		}
		if w*h > 0 {
			out[f[0]] = w * h
		}
	}
	return out
}

// ridRank orders well-known simulcast layer names from low to high.
var ridRank = map[string]int{"q": 0, "l": 0, "low": 0, "h": 1, "m": 1, "mid": 1, "f": 2, "high": 2, "full": 2}

// orderLayers sorts layers from lowest to highest: by the size limits the
// offer gives them when every layer has one, else by well-known names
// (q/h/f, low/mid/high…), else as offered (browsers list sendEncodings in
// the order the page gave them, and the UI gives them lowest first).
func orderLayers(rids []string, area map[string]int) []string {
	if len(rids) < 2 {
		return rids
	}
	out := slices.Clone(rids)
	if len(area) == len(rids) {
		slices.SortStableFunc(out, func(a, b string) int { return area[a] - area[b] })
		return out
	}
	slices.SortStableFunc(out, func(a, b string) int { return rank(a, rids) - rank(b, rids) })
	return out
}

// rank is a layer's known rank, or its position in the offer.
func rank(rid string, rids []string) int {
	if r, ok := ridRank[strings.ToLower(rid)]; ok {
		return r * 100
	}
	return slices.Index(rids, rid)
}

func kindOf(media string) (Kind, bool) {
	switch media {
	case "audio":
		return Audio, true
	case "video":
		return Video, true
	}
	return Audio, false
}

func mediaDirection(md *sdp.MediaDescription) string {
	for _, a := range md.Attributes {
		switch a.Key {
		case "sendrecv", "sendonly", "recvonly", "inactive":
			return a.Key
		}
	}
	return "sendrecv"
}

// newUpTracks makes the up tracks of one kind: one, or one per simulcast
// layer for video, each knowing its layer (0 = lowest); rids come lowest
// first.
func newUpTracks(legID string, kind Kind, mime string, rids []string) []*UpTrack {
	if kind != Video || len(rids) == 0 {
		return []*UpTrack{NewUpTrack(legID+"-"+kind.String(), kind, mime)}
	}
	out := make([]*UpTrack, 0, len(rids))
	for layer, rid := range rids {
		u := NewUpTrack(legID+"-video-"+rid, Video, mime)
		u.rid, u.layer = rid, layer
		out = append(out, u)
	}
	return out
}
