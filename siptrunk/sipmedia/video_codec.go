package sipmedia

import (
	"strconv"
	"strings"
)

// The video codecs passed through the trunk untouched, in our preference
// order: VP8 first (every browser has it), then H.264 in packetization
// mode 1 and the baseline family (RFC 6184), which browsers and PBXs
// share as constrained baseline 42e01f. Offers list both (or only the
// caller's codec, Config.VideoCodec); an answer takes
// the first of ours the peer offered, with the peer's payload type and,
// for H.264, its profile-level-id (RFC 6184 §8.2.2 keeps the offerer's).

// VideoCodec is a video format of the table, or the one a call negotiated.
type VideoCodec struct {
	Mime     string // "video/VP8", "video/H264"
	Encoding string // the rtpmap name
	PT       uint8  // ours in an offer; the negotiated one after
	Fmtp     string // "" for VP8
}

// MIME types of the video codecs.
const (
	MimeVP8  = "video/VP8"
	MimeH264 = "video/H264"
)

// h264PayloadType is the payload type we offer H.264 with.
const h264PayloadType = 102

// videoCodecs is the table, preferred first.
var videoCodecs = []VideoCodec{
	{Mime: MimeVP8, Encoding: "VP8", PT: vp8PayloadType},
	{Mime: MimeH264, Encoding: "H264", PT: h264PayloadType, Fmtp: h264Fmtp("42e01f")},
}

// videoCodecsFor is what a call offers and takes: only mime when it is
// in the table (the caller's codec: nothing is transcoded, so another
// would reach a browser that cannot decode it), else the whole table.
func videoCodecsFor(mime string) []VideoCodec {
	for _, c := range videoCodecs {
		if strings.EqualFold(c.Mime, mime) {
			return []VideoCodec{c}
		}
	}
	return videoCodecs
}

// h264Fmtp is H.264's fmtp with profile-level-id profile.
func h264Fmtp(profile string) string {
	return "profile-level-id=" + profile + ";packetization-mode=1"
}

// pickVideo is the first codec of order that the section p offers (or
// answered), with p's payload type and the fmtp we state for it.
func pickVideo(p sdpMedia, order []VideoCodec) (VideoCodec, bool) {
	for _, c := range order {
		for _, pt := range p.payloads {
			enc, ok := p.rtpmap[pt]
			if !ok || !rtpmapIs(enc, c.Encoding, 90000) {
				continue
			}
			if c.Mime != MimeH264 {
				c.PT = pt
				return c, true
			}
			if profile, ok := h264Usable(p.fmtp[pt]); ok {
				c.PT, c.Fmtp = pt, h264Fmtp(profile)
				return c, true
			}
		}
	}
	return VideoCodec{}, false
}

// pickAnswerVideo is pickVideo for a peer's answer to our offer, which
// may also keep our H.264 without any fmtp: Asterisk without
// res_format_attr_h264 answers so, and passes H.264 through untouched,
// so the format stays the one we offered.
func pickAnswerVideo(p sdpMedia, offered []VideoCodec) (VideoCodec, bool) {
	if c, ok := pickVideo(p, offered); ok {
		return c, true
	}
	for _, c := range offered {
		for _, pt := range p.payloads {
			enc, ok := p.rtpmap[pt]
			if _, hasFmtp := p.fmtp[pt]; ok && !hasFmtp && c.Mime == MimeH264 && rtpmapIs(enc, c.Encoding, 90000) {
				c.PT = pt
				return c, true
			}
		}
	}
	return VideoCodec{}, false
}

// h264Usable reports whether an H.264 fmtp is one we pass through:
// packetization mode 1, profile_idc 0x42 (baseline family). It returns
// the profile-level-id to keep.
func h264Usable(fmtp string) (string, bool) {
	mode, profile := "0", "42000a" // RFC 6184's defaults
	for _, f := range strings.Split(fmtp, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
		switch strings.ToLower(k) {
		case "packetization-mode":
			mode = strings.TrimSpace(v)
		case "profile-level-id":
			profile = strings.TrimSpace(v)
		}
	}
	id, err := strconv.ParseUint(profile, 16, 32)
	return profile, mode == "1" && err == nil && len(profile) == 6 && id>>16 == 0x42
}

// OffersVideo reports whether s offers video in a codec of the table.
func OffersVideo(s string) bool {
	v, ok := videoSection(s)
	if !ok || rejected(v) {
		return false
	}
	_, ok = pickVideo(parseSDPSection(s, "video"), videoCodecs)
	return ok
}

// rtpmapValue is c's a=rtpmap value.
func (c VideoCodec) rtpmapValue() string {
	return strconv.Itoa(int(c.PT)) + " " + c.Encoding + "/90000"
}
