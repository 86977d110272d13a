package sfu

import "strings"

// isKeyframe reports whether an RTP payload of codec mime starts a
// keyframe: the one place the forwarding code asks, whatever the codec.
// Audio and unknown codecs have none.
func isKeyframe(mime string, payload []byte) bool {
	switch {
	case mime == vp8Codec.MimeType:
		return isVP8Keyframe(payload)
	case mime == mimeH264:
		return isH264Keyframe(payload)
	case strings.EqualFold(mime, vp8Codec.MimeType):
		return isVP8Keyframe(payload)
	case strings.EqualFold(mime, mimeH264):
		return isH264Keyframe(payload)
	}
	return false
}

// decodable reports whether d's receiver can decode what up sends: the
// same codec, as nothing is transcoded. A VP8 leg and an H.264-only leg
// do not see each other's video.
func decodable(d *DownTrack, up *UpTrack) bool {
	return strings.EqualFold(d.MimeType(), up.MimeType())
}

// videoMimeOf is the video codec leg sends (or else receives), "" if none.
func videoMimeOf(leg Leg) string {
	for _, u := range leg.Ups() {
		if u.Kind() == Video {
			return u.MimeType()
		}
	}
	for _, d := range leg.Downs() {
		if d.Kind() == Video {
			return d.MimeType()
		}
	}
	return ""
}
