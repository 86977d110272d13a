package configs

import (
	"fmt"
	"slices"
	"strings"
)

// maxRate bounds the per-source SIP rate limits: beyond it a limit would
// not protect anything.
const maxRate = 100000

// validateTransit checks the transit rules: known trunks, a permission
// class, no pair twice.
func validateTransit(ps *problems, rules []TransitRule, trunks []Trunk) {
	known := func(name string) bool {
		return slices.ContainsFunc(trunks, func(t Trunk) bool { return t.Name == name })
	}
	seen := map[[2]string]bool{}
	for i, r := range rules {
		at := fmt.Sprintf("transit[%d]", i)
		if !known(r.From) {
			ps.add(at+".from", "%q is not a configured trunk", r.From)
		}
		if !known(r.To) {
			ps.add(at+".to", "%q is not a configured trunk", r.To)
		}
		if r.Permission == "" {
			ps.add(at+".permission", "is required (one of %s)", strings.Join(permissionClasses, ", "))
		} else {
			checkEnum(ps, at+".permission", r.Permission, permissionClasses)
		}
		pair := [2]string{r.From, r.To}
		if seen[pair] {
			ps.add(at, "%s → %s is listed twice", r.From, r.To)
		}
		seen[pair] = true
	}
}

// validate checks a trunk's rate limits (0 = default).
func (r TrunkRateLimit) validate(ps *problems, at string) {
	for _, v := range []struct {
		key string
		n   int
	}{{"messages", r.Messages}, {"calls", r.Calls}} {
		if v.n < 0 || v.n > maxRate {
			ps.add(at+"."+v.key, "must be 0 (default) or 1..%d per second", maxRate)
		}
	}
}
