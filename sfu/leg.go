package sfu

import "context"

// Identity is who a leg belongs to, as shown in popups and rosters.
type Identity struct {
	Number string // extension or outside number
	Name   string // CallerID name, may be empty
}

// Leg is one party's media connection: a browser's (sfu/engine) or a SIP
// dialog. The tracks a leg publishes and receives are fixed when its media
// is negotiated.
type Leg interface {
	ID() string
	Identity() Identity
	// Origin is where the leg entered (browser session, trunk, room
	// bridge), fixed at creation: outbound permission is decided by it.
	Origin() Origin
	// Ups are the tracks this leg publishes (what its party sends).
	Ups() []*UpTrack
	// Downs are the tracks this leg receives (what its party hears and sees).
	Downs() []*DownTrack
	// Done is closed when the leg ends: hangup, BYE, ICE/DTLS failure.
	Done() <-chan struct{}
	// EndReason is why the leg ended; valid after Done is closed.
	EndReason() Reason
	// Hangup ends the leg, telling its party why. It is idempotent.
	Hangup(ctx context.Context, reason Reason) error
	// SendDTMF tells the party that the other side pressed a key: an event
	// in a browser's UI, RFC 4733 or SIP INFO on a SIP dialog.
	SendDTMF(digit rune)
}

// Kind is a media kind.
type Kind int

// Media kinds.
const (
	Audio Kind = iota
	Video
)

func (k Kind) String() string {
	if k == Video {
		return "video"
	}
	return "audio"
}
