package sfu

import (
	"slices"
	"strings"

	"github.com/pion/sdp/v3"
)

// offer is what the server needs to know of a browser's SDP offer.
type offer struct {
	sends, receives map[Kind]bool
	videoRIDs       []string // simulcast layers the browser sends, as offered
}

// parseOffer reads directions per kind and the simulcast send layers.
func parseOffer(text string) offer {
	o := offer{sends: map[Kind]bool{}, receives: map[Kind]bool{}}
	var parsed sdp.SessionDescription
	if err := parsed.UnmarshalString(text); err != nil {
		return o
	}
	for _, md := range parsed.MediaDescriptions {
		kind, ok := kindOf(md.MediaName.Media)
		if !ok || md.MediaName.Port.Value == 0 {
			continue
		}
		dir := mediaDirection(md)
		o.sends[kind] = o.sends[kind] || dir == "sendrecv" || dir == "sendonly"
		o.receives[kind] = o.receives[kind] || dir == "sendrecv" || dir == "recvonly"
		if kind == Video && o.videoRIDs == nil {
			o.videoRIDs = simulcastSendRIDs(md)
		}
	}
	return o
}

// simulcastSendRIDs reads "a=simulcast:send q;h;f" (alternatives after a
// comma and paused "~" layers included).
func simulcastSendRIDs(md *sdp.MediaDescription) []string {
	v, ok := md.Attribute("simulcast")
	if !ok {
		return nil
	}
	fields := strings.Fields(v)
	for i := 0; i+1 < len(fields); i += 2 {
		if fields[i] != "send" {
			continue
		}
		var rids []string
		for _, alt := range strings.Split(fields[i+1], ";") {
			for _, rid := range strings.Split(alt, ",") {
				if rid = strings.TrimPrefix(rid, "~"); rid != "" && !slices.Contains(rids, rid) {
					rids = append(rids, rid)
				}
			}
		}
		return rids
	}
	return nil
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

// ridRank orders well-known simulcast layer names from low to high.
var ridRank = map[string]int{"q": 0, "l": 0, "low": 0, "h": 1, "m": 1, "mid": 1, "f": 2, "high": 2, "full": 2}

// newUpTracks makes the up tracks of one kind: one, or one per simulcast
// layer for video, each knowing its layer (0 = lowest).
func newUpTracks(legID string, kind Kind, rids []string) []*UpTrack {
	mime := codecOf(kind).MimeType
	if kind != Video || len(rids) == 0 {
		return []*UpTrack{NewUpTrack(legID+"-"+kind.String(), kind, mime)}
	}
	ordered := slices.Clone(rids)
	slices.SortStableFunc(ordered, func(a, b string) int { return rank(a, rids) - rank(b, rids) })
	out := make([]*UpTrack, 0, len(ordered))
	for layer, rid := range ordered {
		u := NewUpTrack(legID+"-video-"+rid, Video, mime)
		u.rid, u.layer = rid, layer
		out = append(out, u)
	}
	return out
}

// rank is a layer's known rank, or its position in the offer.
func rank(rid string, rids []string) int {
	if r, ok := ridRank[strings.ToLower(rid)]; ok {
		return r * 100
	}
	return slices.Index(rids, rid)
}
