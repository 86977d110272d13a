package sfu

import "context"

// The optional capabilities of a Leg, in one place. Call control and
// conferences find them by type assertion; each implementation states the
// ones it has with compile-time checks (var _ sfu.Describer = (*Leg)(nil)).
// A leg without one simply lacks the feature: no observer on the answering
// side, one video slot, no bandwidth estimate, identity only on the status
// page, no hand-over of attended transfers.

// ObservedLeg is a leg that knows who observes it on the answering side.
type ObservedLeg interface {
	Observer() CallObserver
}

// VideoSlotLeg is a leg that can receive more than one video: conference
// rooms in "all" mode add slots to it as participants arrive.
type VideoSlotLeg interface {
	Leg
	// EnsureVideoSlots grows the leg to at least n video down tracks and
	// returns them all; new ones start working once the browser answered.
	EnsureVideoSlots(n int) ([]*DownTrack, error)
	// SlotMid is the SDP mid of a video down track, "" if not negotiated.
	SlotMid(d *DownTrack) string
}

// EstimatingLeg is a leg whose receiver reports how much it can take.
type EstimatingLeg interface {
	EstimatedBitrate() int // bits/s, 0 if unknown
}

// Describer is a leg that can describe itself; legs that cannot are shown
// with their identity only.
type Describer interface {
	Describe() LegInfo
}

// Replacer is a leg whose far end can join it to another of its legs by
// itself (a PBX told by REFER with Replaces, RFC 5589): an attended
// transfer between two such legs then leaves the server's media path.
type Replacer interface {
	// Replace asks the far end to connect this leg's party with with's;
	// on success both legs end (transferred). An error changes nothing.
	Replace(ctx context.Context, with Leg) error
}

// What the browser leg offers.
var (
	_ Leg           = (*WebRTCLeg)(nil)
	_ ObservedLeg   = (*WebRTCLeg)(nil)
	_ VideoSlotLeg  = (*WebRTCLeg)(nil)
	_ EstimatingLeg = (*WebRTCLeg)(nil)
	_ Describer     = (*WebRTCLeg)(nil)
)
