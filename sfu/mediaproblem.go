package sfu

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pion/sdp/v3"
)

// MediaProblem is media a browser offered that the server cannot use. The
// call goes on without it (or with less of it: one video layer instead of
// several), and the browser's user is told why instead of seeing a black
// picture.
type MediaProblem struct {
	Kind Kind
	// Reason is ProblemCodec or ProblemLayers.
	Reason string
	// Message says what happened, in English (logs, other clients).
	Message string
	// Want is the codec the server forwards for Kind ("VP8 or H.264"), and Offered
	// the codecs the browser offered instead, so a UI can say it in its
	// user's language (ProblemCodec only).
	Want    string
	Offered []string
}

// Reasons of a MediaProblem; part of the signalling protocol.
const (
	// ProblemCodec: the browser offered no codec the server forwards for
	// this kind, so that kind is left out of the call (both directions).
	ProblemCodec = "codec"
	// ProblemLayers: the browser's simulcast layers cannot be told apart
	// (no RTP stream id header extension); it sends one layer instead.
	ProblemLayers = "layers"
)

// problems checks an offer against what the server forwards.
func (o offer) problems() []MediaProblem {
	var out []MediaProblem
	for _, kind := range []Kind{Audio, Video} {
		if !o.sends[kind] && !o.receives[kind] {
			continue
		}
		if !o.canUse(kind) {
			want, offered := codecNames(kind, o.codecs[kind])
			out = append(out, MediaProblem{Kind: kind, Reason: ProblemCodec, Message: codecMessage(kind, want, offered),
				Want: want, Offered: offered})
		}
	}
	if len(o.videoRIDs) > 1 && !o.ridExtension && o.canUse(Video) {
		out = append(out, MediaProblem{Kind: Video, Reason: ProblemLayers,
			Message: "its simulcast layers carry no RTP stream id, so only one layer is used"})
	}
	return out
}

// canUse reports whether the browser offered a codec the server forwards
// for kind: Opus; VP8, or H.264 in packetization mode 1 (h264.go).
func (o offer) canUse(kind Kind) bool {
	if kind == Video && o.h264 {
		return true
	}
	want := codecOf(kind).MimeType
	return slices.ContainsFunc(o.codecs[kind], func(c string) bool { return strings.EqualFold(c, want) })
}

// codecNames is the codec the server forwards for kind and the codecs the
// browser offered, without the "video/" prefix.
func codecNames(kind Kind, offered []string) (string, []string) {
	want := strings.TrimPrefix(codecOf(kind).MimeType, kind.String()+"/")
	if kind == Video {
		want = "VP8 or H.264" // H.264 in packetization mode 1 (h264.go)
	}
	names := make([]string, 0, len(offered))
	for _, c := range offered {
		names = append(names, strings.TrimPrefix(c, kind.String()+"/"))
	}
	return want, names
}

// codecMessage explains a missing codec: what the server forwards and what
// the browser offered.
func codecMessage(kind Kind, want string, names []string) string {
	if len(names) == 0 {
		return fmt.Sprintf("Xphone forwards %s %s, and the browser offered no %s codec", want, kind, kind)
	}
	return fmt.Sprintf("Xphone forwards %s %s, and the browser offered only %s", want, kind, strings.Join(names, ", "))
}

// withoutSimulcast removes the simulcast layers from the video m-sections
// of an offer, so the answer asks for one plain stream: a browser then
// sends only its first encoding. SSRCs declared for the other encodings go
// too (one m-section with several would read as Plan B). The offer is
// returned unchanged if it does not parse (SetRemoteDescription reports
// that).
func withoutSimulcast(text string) string {
	var parsed sdp.SessionDescription
	if err := parsed.UnmarshalString(text); err != nil {
		return text
	}
	for _, md := range parsed.MediaDescriptions {
		if md.MediaName.Media != "video" {
			continue
		}
		keep := firstEncodingSSRCs(md)
		md.Attributes = slices.DeleteFunc(md.Attributes, func(a sdp.Attribute) bool {
			switch a.Key {
			case "simulcast", "rid":
				return true
			case "ssrc":
				ssrc, _, _ := strings.Cut(a.Value, " ")
				return !slices.Contains(keep, ssrc)
			case "ssrc-group":
				return !slices.Equal(strings.Fields(a.Value)[1:], keep)
			}
			return false
		})
	}
	out, err := parsed.Marshal()
	if err != nil {
		return text
	}
	return string(out)
}

// firstEncodingSSRCs are the SSRCs of an m-section's first encoding: the
// first "a=ssrc-group:FID" (media and retransmission), else the first SSRC.
func firstEncodingSSRCs(md *sdp.MediaDescription) []string {
	for _, a := range md.Attributes {
		if f := strings.Fields(a.Value); a.Key == "ssrc-group" && len(f) == 3 && f[0] == "FID" {
			return f[1:]
		}
	}
	for _, a := range md.Attributes {
		if a.Key == "ssrc" {
			ssrc, _, _ := strings.Cut(a.Value, " ")
			return []string{ssrc}
		}
	}
	return nil
}
