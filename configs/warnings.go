package configs

import (
	"fmt"
	"slices"
	"strings"
)

// Warnings lists settings that are valid but probably not what the admin
// meant. check-config prints them (and still succeeds); the server logs
// them on start and reload.
func (c *Config) Warnings() []string {
	var out []string
	local := func(at, number string) {
		for j, r := range c.Dialplan {
			if MatchPattern(r.Pattern, number) {
				out = append(out, fmt.Sprintf("%s %q also matches dialplan[%d] pattern %q: the local number wins "+
					"(calls, transfers and REFERs to %s stay inside); that rule never sends %s out", at, number, j, r.Pattern, number, number))
			}
		}
	}
	for i, e := range c.Extensions {
		local(fmt.Sprintf("extensions[%d].number", i), e.Number)
	}
	for i, r := range c.Rooms {
		local(fmt.Sprintf("rooms[%d].number", i), r.Number)
	}
	for i, t := range c.Trunks {
		if t.ReferPermission != "" && !slices.ContainsFunc(c.Transit, func(r TransitRule) bool { return r.From == t.Name }) {
			out = append(out, fmt.Sprintf("trunks[%d].refer_permission %q: REFERs from %q can reach only extensions and rooms "+
				"until a transit rule lets calls from %q leave through a trunk", i, t.ReferPermission, t.Name, t.Name))
		}
	}
	return out
}

// MatchPattern reports whether a normalised number matches a dial-plan
// pattern: digits literally, X as any digit, a trailing "." as one or more
// further characters.
func MatchPattern(pattern, number string) bool {
	rest := strings.HasSuffix(pattern, ".")
	pattern = strings.TrimSuffix(pattern, ".")
	if len(number) < len(pattern) || (!rest && len(number) != len(pattern)) || (rest && len(number) == len(pattern)) {
		return false
	}
	for i := 0; i < len(pattern); i++ {
		p, c := pattern[i], number[i]
		if p == 'X' {
			if c < '0' || c > '9' {
				return false
			}
			continue
		}
		if p != c {
			return false
		}
	}
	return true
}
