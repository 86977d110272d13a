package sfu

import "context"

// DialRequest asks a Dialer to reach a number for a call.
type DialRequest struct {
	CallID string
	From   Identity
	To     string
	Video  bool // the caller offers video
	// VideoMime is the caller's video codec ("video/VP8", "video/H264";
	// "" without video): a trunk offers only it, as nothing is
	// transcoded and the caller decodes nothing else.
	VideoMime string
	// Origin is where the caller — the party the dialled leg will be
	// connected to — entered: the fact outbound permission is decided by,
	// never From.
	Origin Origin
	// Transferor is who transferred the caller here (blind transfer), for
	// display and Referred-By; zero for ordinary calls.
	Transferor Identity
	// TransferredBy is the transferring leg's origin (a browser's transfer
	// button, a trunk's REFER); zero for ordinary calls. A transfer is
	// decided with the transferor's permissions and the caller's origin.
	TransferredBy Origin
	// Ringing is called (at most once) when the far end is being alerted.
	Ringing func()
	// EarlyMedia, when set, is called (at most once, from within Dial)
	// when the far end sends media before answering (SIP 183 with SDP:
	// ringback, announcements): call control joins leg so the caller hears
	// it. An answer returns that same leg; a failure after it ends the leg
	// (the Dialer does) and call control lets it go.
	EarlyMedia func(leg Leg)
}

// Dialer reaches numbers: the browser registry for extensions, later the
// SIP trunk for outside numbers. Implementations live in other packages.
type Dialer interface {
	// Reaches reports whether this dialer is responsible for number.
	Reaches(number string) bool
	// Dial alerts the far end and blocks until it answers (returning its
	// leg), refuses (ErrBusy, ErrDeclined, ErrUnavailable, …), or ctx ends
	// (returning context.Cause(ctx)). A leg answered after ctx ended must be
	// hung up by the Dialer, not returned.
	Dial(ctx context.Context, req DialRequest) (Leg, error)
}
