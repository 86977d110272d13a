package sipmedia

import (
	"slices"

	"github.com/pion/sdp/v3"
)

// SDP helpers for the dialog code: what an offer asks for (audio, a
// direction) and the edits our re-offers and answers need (direction,
// session version). They work on parsed SDP; SDP that does not parse
// has no audio and the default direction, and is not edited.

// Media directions (RFC 3264 §5.1).
const (
	SendRecv = "sendrecv"
	SendOnly = "sendonly"
	RecvOnly = "recvonly"
	Inactive = "inactive"
)

var directions = []string{SendRecv, SendOnly, RecvOnly, Inactive}

// HasAudio reports whether s has an audio m-section.
func HasAudio(s string) bool {
	d, ok := parse(s)
	return ok && slices.ContainsFunc(d.MediaDescriptions, func(m *sdp.MediaDescription) bool {
		return m.MediaName.Media == "audio"
	})
}

// Direction is the first non-default direction attribute of s, at session
// or media level (sendrecv when there is none).
func Direction(s string) string {
	d, ok := parse(s)
	if !ok {
		return SendRecv
	}
	for _, attrs := range attrLists(d) {
		for _, a := range attrs {
			if a.Key != SendRecv && slices.Contains(directions, a.Key) {
				return a.Key
			}
		}
	}
	return SendRecv
}

// AnswerDirection is the direction answering the offer's audio (RFC 3264
// §6.1): sendonly → recvonly, recvonly → sendonly, inactive → inactive.
// Only the audio decides whether the call is held: a peer pausing its
// video (video inactive, audio sendrecv) is no hold.
func AnswerDirection(offer string) string {
	return mirrorDirection(parseSDPMedia(offer).direction)
}

// mirrorDirection answers an offered direction ("" is sendrecv).
func mirrorDirection(offered string) string {
	switch offered {
	case SendOnly:
		return RecvOnly
	case RecvOnly:
		return SendOnly
	case Inactive:
		return Inactive
	}
	return SendRecv
}

// MirrorDirections gives each section of our answer the direction that
// answers the offer's section in the same place (RFC 3264 §6.1: m-lines
// pair by position), so an offer holding the audio but not the video,
// or the reverse, is answered section by section. Session-level
// directions of the answer are dropped: the sections say it.
func MirrorDirections(offer, answer string) string {
	o, ok := parse(offer)
	a, ok2 := parse(answer)
	if !ok || !ok2 {
		return answer
	}
	session := sessionDirection(o)
	a.Attributes = slices.DeleteFunc(a.Attributes, func(x sdp.Attribute) bool { return slices.Contains(directions, x.Key) })
	for i, md := range a.MediaDescriptions {
		if i >= len(o.MediaDescriptions) {
			break
		}
		if !rejected(md) {
			setDirection(md, mirrorDirection(sectionDirection(o.MediaDescriptions[i], session)))
		}
	}
	return marshal(a, answer)
}

// sectionDirection is md's own direction, else the session's.
func sectionDirection(md *sdp.MediaDescription, session string) string {
	for _, x := range md.Attributes {
		if slices.Contains(directions, x.Key) {
			return x.Key
		}
	}
	return session
}

// setDirection puts dir in place of md's direction attribute, or adds it.
func setDirection(md *sdp.MediaDescription, dir string) {
	for i, x := range md.Attributes {
		if slices.Contains(directions, x.Key) {
			md.Attributes[i] = sdp.NewPropertyAttribute(dir)
			return
		}
	}
	md.WithPropertyAttribute(dir)
}

// sessionDirection is d's session-level direction ("" when none).
func sessionDirection(d *sdp.SessionDescription) string {
	dir := ""
	for _, x := range d.Attributes {
		if slices.Contains(directions, x.Key) {
			dir = x.Key
		}
	}
	return dir
}

// WithDirection replaces every direction attribute of s with dir.
func WithDirection(s, dir string) string {
	d, ok := parse(s)
	if !ok {
		return s
	}
	for _, attrs := range attrLists(d) {
		for i := range attrs {
			if slices.Contains(directions, attrs[i].Key) {
				attrs[i] = sdp.NewPropertyAttribute(dir)
			}
		}
	}
	return marshal(d, s)
}

// WithVersion adds v to the origin's session version: a changed offer
// must carry a higher version (RFC 3264 §8), or peers ignore it.
func WithVersion(s string, v uint64) string {
	d, ok := parse(s)
	if !ok {
		return s
	}
	d.Origin.SessionVersion += v
	return marshal(d, s)
}
