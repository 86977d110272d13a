package configs

import (
	"strings"
	"testing"
)

// TestValidateTransitAndRateLimits: transit rules name configured trunks
// and a class, once per pair; rate limits are 0 (default) or positive.
func TestValidateTransitAndRateLimits(t *testing.T) {
	twoTrunks := func(mut func(*Config)) func(c *Config) {
		return func(c *Config) {
			c.Trunks = []Trunk{{Name: "pbx", Address: "192.0.2.1:5060"}, {Name: "pbx2", Address: "192.0.2.2:5060"}}
			mut(c)
		}
	}
	for _, tt := range []struct {
		name, path, message string
		mutate              func(c *Config)
	}{
		{"transit ok", "", "", twoTrunks(func(c *Config) {
			c.Transit = []TransitRule{{From: "pbx", To: "pbx2", Permission: "national"}, {From: "pbx", To: "pbx", Permission: "local"}}
		})},
		{"transit from unknown trunk", "transit[0].from", "not a configured trunk", twoTrunks(func(c *Config) {
			c.Transit = []TransitRule{{From: "pbx9", To: "pbx2", Permission: "national"}}
		})},
		{"transit to unknown trunk", "transit[0].to", "not a configured trunk", twoTrunks(func(c *Config) {
			c.Transit = []TransitRule{{From: "pbx", To: "", Permission: "national"}}
		})},
		{"transit without permission", "transit[0].permission", "is required", twoTrunks(func(c *Config) {
			c.Transit = []TransitRule{{From: "pbx", To: "pbx2"}}
		})},
		{"transit twice", "transit[1]", "listed twice", twoTrunks(func(c *Config) {
			c.Transit = []TransitRule{{From: "pbx", To: "pbx2", Permission: "local"}, {From: "pbx", To: "pbx2", Permission: "national"}}
		})},
		{"rate_limit negative", "trunks[0].rate_limit.messages", "must be 0", twoTrunks(func(c *Config) {
			c.Trunks[0].RateLimit.Messages = -1
		})},
		{"rate_limit calls too high", "trunks[1].rate_limit.calls", "must be 0", twoTrunks(func(c *Config) {
			c.Trunks[1].RateLimit.Calls = maxRate + 1
		})},
		{"rate_limit ok", "", "", twoTrunks(func(c *Config) { c.Trunks[0].RateLimit = TrunkRateLimit{Messages: 50, Calls: 5} })},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assertValidation(t, tt.mutate, tt.path, tt.message)
		})
	}
}

// TestWarningsOverlapAndReferWithoutTransit: a room or extension a dial
// rule also matches is reported (local numbers win; it is a warning, not
// an error), and so is a refer_permission no transit rule can use.
func TestWarningsOverlapAndReferWithoutTransit(t *testing.T) {
	c := &Config{
		Extensions: []Extension{{Number: "1001"}, {Number: "8001"}},
		Rooms:      []Room{{Number: "800"}, {Number: "700"}},
		Trunks:     []Trunk{{Name: "pbx", ReferPermission: "local"}, {Name: "pbx2", ReferPermission: "local"}},
		Dialplan:   []DialRule{{Pattern: "8.", Trunk: "pbx", Permission: "national"}, {Pattern: "0.", Trunk: "pbx"}},
		Transit:    []TransitRule{{From: "pbx2", To: "pbx", Permission: "local"}},
	}
	w := strings.Join(c.Warnings(), "\n")
	for _, want := range []string{`extensions[1].number "8001" also matches dialplan[0] pattern "8."`,
		`rooms[0].number "800" also matches dialplan[0] pattern "8."`, `trunks[0].refer_permission "local"`} {
		if !strings.Contains(w, want) {
			t.Errorf("warnings lack %q:\n%s", want, w)
		}
	}
	if n := len(c.Warnings()); n != 3 {
		t.Errorf("%d warnings, want 3 (1001, room 700 and pbx2 are fine):\n%s", n, w)
	}
}
