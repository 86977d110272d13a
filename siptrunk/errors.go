package siptrunk

import (
	"errors"
	"fmt"

	"xphone/sfu"
	"xphone/siptrunk/sipmedia"
)

// Sentinel errors of the SIP trunk.
var (
	// ErrTrunkUnavailable: the trunk answered 503, could not be reached, or
	// no dial rule routes the number.
	ErrTrunkUnavailable = fmt.Errorf("siptrunk: %w", sfu.ErrTrunkUnavailable)
	// ErrForbidden: the caller's permission class does not allow the number.
	ErrForbidden = errors.New("siptrunk: number not allowed through the trunk")
	// ErrClosed: the trunk is shutting down.
	ErrClosed = errors.New("siptrunk: closed")
	// ErrRegister: the registrar refused our REGISTER (e.g. wrong password).
	ErrRegister = errors.New("siptrunk: registration failed")
	// ErrSDP: the peer's SDP could not be used (the media back-ends'
	// sentinel, so errors.Is works on what they return).
	ErrSDP = sipmedia.ErrSDP
	// ErrDialog: a request inside a dialog failed or was refused.
	ErrDialog = errors.New("siptrunk: in-dialog request failed")
	// ErrConfig: the trunk configuration cannot be used.
	ErrConfig = errors.New("siptrunk: bad configuration")
)
