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

// AnswerDirection is the direction answering an offer's (RFC 3264 §6.1):
// sendonly → recvonly, recvonly → sendonly, inactive → inactive.
func AnswerDirection(offer string) string {
	d, ok := parse(offer)
	if !ok {
		return SendRecv
	}
	has := map[string]bool{}
	for _, attrs := range attrLists(d) {
		for _, a := range attrs {
			has[a.Key] = true
		}
	}
	switch {
	case has[SendOnly]:
		return RecvOnly
	case has[RecvOnly]:
		return SendOnly
	case has[Inactive]:
		return Inactive
	}
	return SendRecv
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
