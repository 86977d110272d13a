package siptrunk

import (
	"fmt"
	"slices"
	"strings"

	"xphone/configs"
)

// permissionRank orders permission classes; a caller may use rules whose
// class ranks at or below its own.
var permissionRank = map[string]int{"internal": 0, "local": 1, "national": 2, "international": 3}

// InboundPermission is the class of calls that arrived from a trunk: it
// ranks below every rule, so they can never be routed back out.
const InboundPermission = "inbound"

// Route is where an allowed number goes: the trunk and the number as sent.
type Route struct {
	Trunk  string
	Number string
}

// DialPlan holds the ordered outbound rules.
type DialPlan struct{ rules []configs.DialRule }

// NewDialPlan returns the plan for rules, in order.
func NewDialPlan(rules []configs.DialRule) *DialPlan {
	return &DialPlan{rules: slices.Clone(rules)}
}

// Normalise removes visual separators ("+49 (30) 123-45" → "+493012345");
// a + is kept only in front; any other character makes the number invalid
// (so "*", "#", letters and SIP URIs never match a dial rule).
func Normalise(number string) (string, bool) {
	var b strings.Builder
	for i, c := range strings.TrimSpace(number) {
		switch {
		case c >= '0' && c <= '9':
			b.WriteRune(c)
		case c == '+' && i == 0:
			b.WriteRune(c)
		case c == ' ' || c == '-' || c == '(' || c == ')' || c == '.' || c == '/':
		default:
			return "", false
		}
	}
	n := b.String()
	return n, n != "" && n != "+"
}

// Match returns the first rule matching the normalised number.
func (p *DialPlan) Match(number string) (configs.DialRule, bool) {
	for _, r := range p.rules {
		if configs.MatchPattern(r.Pattern, number) {
			return r, true
		}
	}
	return configs.DialRule{}, false
}

// Allowed is the one decision whether number may leave through a trunk
// for a caller of callerPermission. Every path that creates a trunk INVITE
// calls it. It returns the route or ErrForbidden / ErrTrunkUnavailable.
func (p *DialPlan) Allowed(callerPermission, number string) (Route, error) {
	n, ok := Normalise(number)
	if !ok {
		return Route{}, fmt.Errorf("%w: %q is not a phone number", ErrForbidden, number)
	}
	r, ok := p.Match(n)
	if !ok {
		return Route{}, fmt.Errorf("%w: no dial rule for %s", ErrTrunkUnavailable, n)
	}
	have, known := permissionRank[callerPermission]
	if callerPermission == "" {
		have, known = 0, true
	}
	need, ok := permissionRank[r.Permission]
	if !known || !ok || have < need {
		return Route{}, fmt.Errorf("%w: %s needs %q, caller has %q", ErrForbidden, n, r.Permission, callerPermission)
	}
	out := n
	if r.Strip > 0 {
		out = out[min(r.Strip, len(out)):]
	}
	return Route{Trunk: r.Trunk, Number: r.Prepend + out}, nil
}
