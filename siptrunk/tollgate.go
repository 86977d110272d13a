package siptrunk

import (
	"errors"
	"fmt"

	"xphone/configs"
	"xphone/sfu"
)

// ErrLocalNumber: the number is an extension or a room; it never leaves
// through a trunk, whatever the dial plan says (local numbers win).
var ErrLocalNumber = errors.New("siptrunk: a local number never leaves through a trunk")

// GateConfig is what the toll-fraud gate decides with.
type GateConfig struct {
	Dialplan []configs.DialRule
	Transit  []configs.TransitRule
	// ReferPermission is each trunk's refer_permission by trunk name: the
	// class a REFER from that trunk acts with.
	ReferPermission map[string]string
	// Extension is an extension's permission class ("" = internal); nil:
	// every extension is internal.
	Extension func(number string) string
	// Room is a bridged room's bridge permission class; nil: internal.
	Room func(number string) string
	// Local reports whether number is an extension or a room; nil: none.
	Local func(number string) bool
}

// Gate is the toll-fraud gate: Decide is the one function that says
// whether a call may leave through a trunk. It is immutable; a reload
// builds a new one.
type Gate struct {
	cfg     GateConfig
	plan    *DialPlan
	transit map[[2]string]string // (from trunk, to trunk) → class
}

// NewGate builds the gate for cfg.
func NewGate(cfg GateConfig) *Gate {
	g := &Gate{cfg: cfg, plan: NewDialPlan(cfg.Dialplan), transit: map[[2]string]string{}}
	for _, r := range cfg.Transit {
		g.transit[[2]string{r.From, r.To}] = r.Permission
	}
	return g
}

// Local reports whether number is an extension or a room.
func (g *Gate) Local(number string) bool { return g.cfg.Local != nil && g.cfg.Local(number) }

// Route is the dial rule's route for number, ignoring permissions; false
// for local numbers and numbers no rule matches.
func (g *Gate) Route(number string) (Route, bool) {
	if g.Local(number) {
		return Route{}, false
	}
	n, ok := Normalise(number)
	if !ok {
		return Route{}, false
	}
	r, ok := g.plan.Match(n)
	return Route{Trunk: r.Trunk, Number: n}, ok
}

// Decide is the one toll-fraud decision, for every path that could place
// a call through a trunk (browser calls, inbound trunk calls, blind and
// attended transfers, REFERs, room bridges, anything added later). It
// uses facts only — where the party entered (req.Origin) and who asked
// (req.TransferredBy for transfers, else the party itself) — never a From
// header or a caller number:
//
//   - the permission class is the asker's: an extension's own class, a
//     room bridge's class, a trunk's refer_permission for its REFERs;
//   - a party or asker that came in from trunk A may leave through trunk B
//     only if a transit rule names A → B, and at most with its class. A
//     trunk's own callers have no class but the transit rule's.
//
// It returns the route, or ErrLocalNumber, ErrTrunkUnavailable (no rule
// routes the number) or ErrForbidden, each saying why.
func (g *Gate) Decide(req sfu.DialRequest) (Route, error) {
	if g.Local(req.To) {
		return Route{}, fmt.Errorf("%w: %s", ErrLocalNumber, req.To)
	}
	r, ok := g.Route(req.To)
	if !ok {
		if _, valid := Normalise(req.To); !valid {
			return Route{}, fmt.Errorf("%w: %q is not a phone number", ErrForbidden, req.To)
		}
		return Route{}, fmt.Errorf("%w: no dial rule for %s", ErrTrunkUnavailable, req.To)
	}
	by, transfer := req.Origin, req.TransferredBy.Kind != sfu.OriginUnknown
	if transfer {
		by = req.TransferredBy
	}
	class := g.classOf(by, transfer)
	for _, o := range []sfu.Origin{req.Origin, by} {
		if !o.EnteredFromTrunk() && !(o == by && o.Kind == sfu.OriginTrunk) {
			continue
		}
		limit, ok := g.transit[[2]string{o.Name, r.Trunk}]
		if !ok {
			return Route{}, fmt.Errorf("%w: %s may not leave through trunk %q (party %s, asked by %s): no transit rule %s → %s",
				ErrForbidden, req.To, r.Trunk, req.Origin, by, o.Name, r.Trunk)
		}
		class = lowerClass(class, limit)
	}
	route, err := g.plan.Allowed(class, req.To)
	if err != nil {
		return Route{}, fmt.Errorf("%w (party %s, asked by %s)", err, req.Origin, by)
	}
	return route, nil
}

// unlimited is the class of a trunk's own callers before the transit
// rule caps it.
const unlimited = "international"

// classOf is the permission class of who asks for a call.
func (g *Gate) classOf(by sfu.Origin, transfer bool) string {
	switch by.Kind {
	case sfu.OriginExtension:
		return orInternal(g.cfg.Extension, by.Name)
	case sfu.OriginRoom:
		return orInternal(g.cfg.Room, by.Name)
	case sfu.OriginTrunk:
		if !transfer {
			return unlimited // capped by the transit rule
		}
		if p := g.cfg.ReferPermission[by.Name]; p != "" {
			return p
		}
	}
	return InboundPermission // ranks below every rule
}

func orInternal(f func(string) string, name string) string {
	if f == nil {
		return "internal"
	}
	if p := f(name); p != "" {
		return p
	}
	return "internal"
}

// lowerClass is the less privileged of two classes (unknown ranks lowest).
func lowerClass(a, b string) string {
	ra, oka := permissionRank[a]
	rb, okb := permissionRank[b]
	switch {
	case !oka:
		return a
	case !okb:
		return b
	case rb < ra:
		return b
	}
	return a
}
