package sfu

import (
	"errors"
	"fmt"
)

// Reason says why a call or leg ended. It is a code: the UI shows it in
// its user's language from its catalogue (web/ui/i18n, key "reason.CODE").
type Reason string

// Reasons a call ends. They are part of the signalling protocol.
const (
	ReasonHangup            Reason = "hangup"
	ReasonBusy              Reason = "busy"
	ReasonDeclined          Reason = "declined"
	ReasonNotFound          Reason = "not_found"
	ReasonUnavailable       Reason = "unavailable"
	ReasonNoAnswer          Reason = "no_answer"
	ReasonCancelled         Reason = "cancelled"
	ReasonAnsweredElsewhere Reason = "answered_elsewhere"
	ReasonMediaFailed       Reason = "media_failed"
	ReasonForbidden         Reason = "forbidden"
	ReasonRoomFull          Reason = "room_full"
	ReasonPINRequired       Reason = "pin_required"
	ReasonWrongPIN          Reason = "wrong_pin"
	ReasonTransferred       Reason = "transferred"
	ReasonRoomRemoved       Reason = "room_removed"
	ReasonTrunkUnavailable  Reason = "trunk_unavailable"
	ReasonCongestion        Reason = "congestion"
	ReasonNoMedia           Reason = "no_media"
	// ReasonDND: the callee has do-not-disturb on.
	ReasonDND Reason = "dnd"
	// ReasonRemoved: a moderator removed the party from a conference.
	ReasonRemoved Reason = "removed"
	// ReasonRoomLocked: a moderator locked the room before the party joined.
	ReasonRoomLocked Reason = "room_locked"
	// ReasonConnectionLost: the party vanished (browser killed, network
	// gone): no media and no signalling from it.
	ReasonConnectionLost Reason = "connection_lost"
	// ReasonServerRestart: the server is shutting down (to restart).
	ReasonServerRestart Reason = "server_restart"
	ReasonError         Reason = "error"
)

// Sentinel errors of call control; each maps to a Reason.
var (
	ErrBusy         = errors.New("sfu: callee is busy")
	ErrDeclined     = errors.New("sfu: call declined")
	ErrNotFound     = errors.New("sfu: no such number")
	ErrUnavailable  = errors.New("sfu: callee is not available")
	ErrNoAnswer     = errors.New("sfu: no answer")
	ErrCancelled    = errors.New("sfu: call cancelled")
	ErrForbidden    = errors.New("sfu: not allowed to call that number")
	ErrClosed       = errors.New("sfu: closed")
	ErrNegotiation  = errors.New("sfu: media negotiation failed")
	ErrPINRequired  = errors.New("sfu: conference room needs a PIN")
	ErrWrongPIN     = errors.New("sfu: wrong conference PIN")
	ErrNotInCall    = errors.New("sfu: not in that call")
	ErrInConference = errors.New("sfu: hold and transfer are not offered in conferences")
	// ErrDoNotDisturb: the callee has do-not-disturb on.
	ErrDoNotDisturb = errors.New("sfu: callee does not want to be disturbed")
	// ErrTrunkUnavailable: the way out (a SIP trunk) is down or refused.
	ErrTrunkUnavailable = errors.New("sfu: trunk unavailable")
	// ErrCongestion: the network beyond the trunk has no capacity now
	// (Q.850 congestion, e.g. Asterisk's Congestion()).
	ErrCongestion = errors.New("sfu: network congestion")
	// ErrNoMedia: the server has no address to offer for media (no ICE
	// candidate: media.interfaces or media.public_ips match nothing).
	ErrNoMedia = errors.New("sfu: no media address (check media.interfaces and media.public_ips)")
	// ErrHandedOver: a transfer's dial was carried out by the far end (a
	// PBX told by REFER) and the transferred party's leg has ended there;
	// the transfer succeeded, with nothing left for call control to join.
	ErrHandedOver = errors.New("sfu: the far end carried out the transfer")
	// ErrMediaConfig: the media section of the config cannot be used (a
	// bad public address, a port range with no free port).
	ErrMediaConfig = errors.New("sfu: media config")
)

var reasonOf = []struct {
	err    error
	reason Reason
}{
	{ErrBusy, ReasonBusy}, {ErrDeclined, ReasonDeclined}, {ErrNotFound, ReasonNotFound},
	{ErrUnavailable, ReasonUnavailable}, {ErrNoAnswer, ReasonNoAnswer},
	{ErrCancelled, ReasonCancelled}, {ErrForbidden, ReasonForbidden},
	{ErrTrunkUnavailable, ReasonTrunkUnavailable}, {ErrHandedOver, ReasonTransferred},
	{ErrCongestion, ReasonCongestion}, {ErrNoMedia, ReasonNoMedia},
	{ErrClosed, ReasonServerRestart}, {ErrDoNotDisturb, ReasonDND},
}

// Reasons lists every reason code, for catalogues that must name them all.
func Reasons() []Reason {
	return []Reason{ReasonHangup, ReasonBusy, ReasonDeclined, ReasonNotFound, ReasonUnavailable, ReasonNoAnswer,
		ReasonCancelled, ReasonAnsweredElsewhere, ReasonMediaFailed, ReasonForbidden, ReasonRoomFull,
		ReasonPINRequired, ReasonWrongPIN, ReasonTransferred, ReasonRoomRemoved, ReasonTrunkUnavailable,
		ReasonCongestion, ReasonNoMedia, ReasonDND, ReasonRemoved, ReasonRoomLocked, ReasonConnectionLost, ReasonServerRestart, ReasonError}
}

// ReasonFor maps a call-control error to the Reason shown to the caller.
func ReasonFor(err error) Reason {
	for _, r := range reasonOf {
		if errors.Is(err, r.err) {
			return r.reason
		}
	}
	return ReasonError
}

func wrapf(err error, format string, args ...any) error {
	return fmt.Errorf("sfu: "+format+": %w", append(args, err)...)
}
