package sfu

import (
	"strconv"
	"strings"
)

// H.264 on browser legs (RFC 6184). Only packetization mode 1 is taken
// (STAP-A and FU-A: what browsers and PBXs send), in the baseline profile
// family: constrained baseline (42e01f) is what browsers and PBXs share,
// and the server forwards without transcoding, so every leg must decode
// what another leg's encoder makes.

// mimeH264 is H.264's MIME type as the server names it.
const mimeH264 = "video/H264"

// h264Codec is H.264 in the server's codec list.
var h264Codec = codecInfo{MimeType: mimeH264}

// H.264 NAL unit types the server looks at.
const (
	nalIDR   = 5  // a coded slice of an IDR picture: a keyframe
	nalSPS   = 7  // sequence parameter set: sent right before an IDR
	nalSTAPA = 24 // aggregation packet
	nalFUA   = 28 // fragmentation unit
)

// isH264Keyframe reports whether an RTP payload starts (or is) a keyframe:
// an IDR slice or SPS as a single NAL unit, inside a STAP-A, or the start
// fragment of an FU-A carrying an IDR slice.
func isH264Keyframe(payload []byte) bool {
	if len(payload) < 1 {
		return false
	}
	switch t := payload[0] & 0x1f; t {
	case nalIDR, nalSPS:
		return true
	case nalSTAPA:
		return stapHasKey(payload[1:])
	case nalFUA:
		return len(payload) >= 2 && payload[1]&0x80 != 0 && payload[1]&0x1f == nalIDR
	}
	return false
}

// stapHasKey walks a STAP-A's units (16-bit size, then the unit).
func stapHasKey(b []byte) bool {
	for len(b) > 2 {
		n := int(b[0])<<8 | int(b[1])
		b = b[2:]
		if n == 0 || n > len(b) {
			return false
		}
		if t := b[0] & 0x1f; t == nalIDR || t == nalSPS {
			return true
		}
		b = b[n:]
	}
	return false
}

// h264Usable reports whether an offered H.264 format's fmtp is one the
// server forwards: packetization mode 1 in the baseline profile family
// (profile_idc 0x42). It returns the offer's profile-level-id, which the
// answer keeps (RFC 6184 §8.2.2), and whether it is constrained baseline.
func h264Usable(fmtp string) (profile string, constrained, ok bool) {
	mode := "0" // the default when absent, which the server does not forward
	for _, p := range strings.Split(fmtp, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		switch strings.ToLower(k) {
		case "packetization-mode":
			mode = v
		case "profile-level-id":
			profile = v
		}
	}
	if profile == "" {
		profile = "42000a" // RFC 6184's default: baseline, level 1
	}
	id, err := strconv.ParseUint(profile, 16, 32)
	if mode != "1" || err != nil || len(profile) != 6 || id>>16 != 0x42 {
		return "", false, false
	}
	return profile, id>>8&0x40 != 0, true
}

// h264Fmtp is the fmtp the server states for H.264 with the offer's
// profile-level-id.
func h264Fmtp(profile string) string {
	return "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=" + profile
}
