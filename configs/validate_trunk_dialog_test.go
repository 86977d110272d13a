package configs

import (
	"testing"
	"time"
)

// TestValidateTrunkDialog: session_expires, media_timeout,
// refer_permission and refer_to_trunk are checked with their key paths
// (refer_to_trunk: true is accepted now that it is implemented).
func TestValidateTrunkDialog(t *testing.T) {
	trunk := func(mut func(*Trunk)) func(c *Config) {
		return func(c *Config) {
			tr := Trunk{Name: "pbx", Address: "192.0.2.1:5060"}
			mut(&tr)
			c.Trunks = []Trunk{tr}
		}
	}
	for _, tt := range []struct {
		name, path, message string
		mutate              func(c *Config)
	}{
		{"session_expires below 90s", "trunks[0].session_expires", "at least 90s",
			trunk(func(t *Trunk) { t.SessionExpires = Duration(89 * time.Second) })},
		{"session_expires 90s ok", "", "", trunk(func(t *Trunk) { t.SessionExpires = Duration(90 * time.Second) })},
		{"media_timeout below 10s", "trunks[0].media_timeout", "at least 10s",
			trunk(func(t *Trunk) { d := Duration(5 * time.Second); t.MediaTimeout = &d })},
		{"media_timeout 0 off ok", "", "", trunk(func(t *Trunk) { d := Duration(0); t.MediaTimeout = &d })},
		{"media_timeout 10s ok", "", "", trunk(func(t *Trunk) { d := Duration(10 * time.Second); t.MediaTimeout = &d })},
		{"refer_permission unknown", "trunks[0].refer_permission", "is not one of",
			trunk(func(t *Trunk) { t.ReferPermission = "world" })},
		{"refer_permission local ok", "", "", trunk(func(t *Trunk) { t.ReferPermission = "local" })},
		{"refer_to_trunk ok", "", "", trunk(func(t *Trunk) { t.ReferToTrunk = true })},
		{"dial_from_registered_contact without register", "trunks[0].dial_from_registered_contact", "needs register",
			trunk(func(t *Trunk) { t.DialFromRegisteredContact = true })},
		{"dial_from_registered_contact with register ok", "", "", trunk(func(t *Trunk) {
			t.DialFromRegisteredContact, t.Register = true, &TrunkRegister{User: "4000", Password: "pw"}
		})},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assertValidation(t, tt.mutate, tt.path, tt.message)
		})
	}
}
