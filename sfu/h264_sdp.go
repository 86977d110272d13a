package sfu

import (
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
)

// Video codec choice per m-section. Rooms and calls forward without
// transcoding, so a receiver only gets video from a sender of its own
// codec: keeping VP8 first wherever a leg offers it means every browser
// leg agrees, and H.264 is used only by a leg that offers no VP8 (or when
// the policy puts H.264 first, for browsers meeting H.264 PBXs).

// videoOrder is the codecs the server takes for video, preferred first.
func (o offer) videoOrder() []string {
	if o.preferH264 {
		return []string{"H264", "VP8"}
	}
	return []string{"VP8", "H264"}
}

// pickVideo chooses the first codec of order that md offers, keeping the
// offer's payload type; for H.264 a constrained-baseline format comes
// before a plain baseline one, and its fmtp keeps the offer's profile.
func pickVideo(md *sdp.MediaDescription, order []string) (pt uint8, rtpmap, fmtp string) {
	formats := rtpmaps(md)
	for _, want := range order {
		if want == "VP8" {
			for _, f := range formats {
				if strings.EqualFold(f.rtpmap, "VP8/90000") {
					return f.pt, f.rtpmap, ""
				}
			}
			continue
		}
		if f, profile, ok := bestH264(md, formats); ok {
			return f.pt, f.rtpmap, h264Fmtp(profile)
		}
	}
	return 0, "", ""
}

// bestH264 is md's H.264 format the server forwards, constrained baseline
// first.
func bestH264(md *sdp.MediaDescription, formats []format) (format, string, bool) {
	var found format
	var profile string
	for _, f := range formats {
		if !strings.EqualFold(f.rtpmap, "H264/90000") {
			continue
		}
		p, constrained, ok := h264Usable(fmtpOf(md, f.pt))
		if !ok {
			continue
		}
		if constrained {
			return f, p, true
		}
		if profile == "" {
			found, profile = f, p
		}
	}
	return found, profile, profile != ""
}

// hasUsableH264 reports whether md offers H.264 the server forwards.
func hasUsableH264(md *sdp.MediaDescription) bool {
	_, _, ok := bestH264(md, rtpmaps(md))
	return ok
}

// fmtpOf is the a=fmtp value of pt in md, "" if none.
func fmtpOf(md *sdp.MediaDescription, pt uint8) string {
	prefix := strconv.Itoa(int(pt)) + " "
	for _, a := range md.Attributes {
		if a.Key == "fmtp" && strings.HasPrefix(a.Value, prefix) {
			return strings.TrimPrefix(a.Value, prefix)
		}
	}
	return ""
}
