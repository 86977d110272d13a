package sipmedia

import (
	"errors"
	"fmt"
)

// Sentinel errors of the media back-ends.
var (
	// ErrSDP: the peer's SDP could not be used.
	ErrSDP = errors.New("sipmedia: unusable SDP")
	// ErrConfig: the media configuration (codecs, address) cannot be used.
	ErrConfig = errors.New("sipmedia: bad configuration")
	// ErrUpdate: a peer's in-dialog offer asks for a media change we do
	// not carry out (a new DTLS association, an ICE restart, another
	// codec); the offer is answered 488 and the call keeps its media.
	ErrUpdate = fmt.Errorf("%w: media change not supported in-dialog", ErrSDP)
)
