package sfu

// Origin is how a leg came to be: the fact outbound permission is decided
// by (the toll-fraud gate). It is fixed when the leg is created — by the
// web layer from the logged-in session, by a trunk from the socket the
// dialog arrived on — and never derived from anything a far side writes
// (From headers, caller numbers).
type Origin struct {
	Kind OriginKind
	// Name is the extension number (browser sessions), the trunk name (SIP
	// dialogs) or the room number (room bridges).
	Name string
	// Dialled marks a SIP leg Xphone dialled out through trunk Name (an
	// exit); false: a party who called in through it.
	Dialled bool
}

// OriginKind is where a leg entered.
type OriginKind uint8

// Origin kinds. The zero value is unknown and may call nowhere outside.
const (
	OriginUnknown   OriginKind = iota
	OriginExtension            // a browser session logged in as extension Name
	OriginTrunk                // a SIP dialog on trunk Name
	OriginRoom                 // room Name's bridge to a PBX conference
)

// ExtensionOrigin is the origin of extension number's browser sessions.
func ExtensionOrigin(number string) Origin { return Origin{Kind: OriginExtension, Name: number} }

// TrunkOrigin is the origin of a SIP dialog on trunk name; dialled: we
// placed it (an outbound call), else the far side called in.
func TrunkOrigin(name string, dialled bool) Origin {
	return Origin{Kind: OriginTrunk, Name: name, Dialled: dialled}
}

// RoomOrigin is the origin of room number's PBX bridge call.
func RoomOrigin(number string) Origin { return Origin{Kind: OriginRoom, Name: number} }

// EnteredFromTrunk reports whether the leg called in through a trunk.
func (o Origin) EnteredFromTrunk() bool { return o.Kind == OriginTrunk && !o.Dialled }

// String is "extension:1001", "trunk:pbx" (or "trunk:pbx(out)"),
// "room:800" or "unknown", for logs.
func (o Origin) String() string {
	switch o.Kind {
	case OriginExtension:
		return "extension:" + o.Name
	case OriginTrunk:
		if o.Dialled {
			return "trunk:" + o.Name + "(out)"
		}
		return "trunk:" + o.Name
	case OriginRoom:
		return "room:" + o.Name
	}
	return "unknown"
}
