package siptrunk

import (
	"errors"
	"strings"
	"testing"

	"xphone/configs"
	"xphone/sfu"
)

// gateEntry is one way a call can ask to leave: the party's origin and,
// for transfers and REFERs, the asker's.
type gateEntry struct {
	name  string
	from  string // what the far side wrote or the UI shows: never decisive
	party sfu.Origin
	by    sfu.Origin
}

// gateEntries are every entry point of a call: browser sessions, trunk
// callers (whose From claims the most privileged extension), a room
// bridge, blind transfers by browsers, REFERs from trunks (on inbound and
// on dialled legs), a transfer of a dialled party, and an unknown origin.
var gateEntries = []gateEntry{
	{"browser 1001 (national)", "1001", sfu.ExtensionOrigin("1001"), sfu.Origin{}},
	{"browser 1002 (international)", "1002", sfu.ExtensionOrigin("1002"), sfu.Origin{}},
	{"browser 1003 (internal)", "1003", sfu.ExtensionOrigin("1003"), sfu.Origin{}},
	{"pbx caller, From 1002", "1002", sfu.TrunkOrigin("pbx", false), sfu.Origin{}},
	{"pbx2 caller, From 1002", "1002", sfu.TrunkOrigin("pbx2", false), sfu.Origin{}},
	{"pbx caller, From 800 (bridged)", "800", sfu.TrunkOrigin("pbx", false), sfu.Origin{}},
	{"room 800 bridge (national)", "800", sfu.RoomOrigin("800"), sfu.Origin{}},
	{"1002 transfers a pbx caller", "0300", sfu.TrunkOrigin("pbx", false), sfu.ExtensionOrigin("1002")},
	{"1003 transfers a pbx caller", "0300", sfu.TrunkOrigin("pbx", false), sfu.ExtensionOrigin("1003")},
	{"1002 transfers browser 1003", "1003", sfu.ExtensionOrigin("1003"), sfu.ExtensionOrigin("1002")},
	{"1003 transfers browser 1002", "1002", sfu.ExtensionOrigin("1002"), sfu.ExtensionOrigin("1003")},
	{"pbx REFERs browser 1002", "1002", sfu.ExtensionOrigin("1002"), sfu.TrunkOrigin("pbx", false)},
	{"pbx2 REFERs on our dialled leg", "1002", sfu.ExtensionOrigin("1002"), sfu.TrunkOrigin("pbx2", true)},
	{"1002 transfers its dialled party", "9301234", sfu.TrunkOrigin("pbx2", true), sfu.ExtensionOrigin("1002")},
	{"unknown origin, From 1002", "1002", sfu.Origin{}, sfu.Origin{}},
}

// testGate is the gate of a server with extensions 1001 national, 1002
// international, 1003 internal, room 800 bridged with class national, a
// dial rule 8. overlapping the room, and refer_permission national on pbx.
func testGate(trunks int, transit ...configs.TransitRule) *Gate {
	plan := []configs.DialRule{
		{Pattern: "00.", Trunk: "pbx", Permission: "international"},
		{Pattern: "0.", Trunk: "pbx", Permission: "national"},
		{Pattern: "9.", Trunk: "pbx2", Permission: "national"},
		{Pattern: "8.", Trunk: "pbx2", Permission: "national"},
	}
	if trunks == 3 {
		plan = append(plan, configs.DialRule{Pattern: "7.", Trunk: "pbx3", Permission: "local"})
	}
	classes := map[string]string{"1001": "national", "1002": "international", "1003": ""}
	return NewGate(GateConfig{Dialplan: plan, Transit: transit,
		ReferPermission: map[string]string{"pbx": "national", "pbx2": ""},
		Extension:       func(n string) string { return classes[n] },
		Room:            func(n string) string { return map[string]string{"800": "national"}[n] },
		Local:           func(n string) bool { _, ext := classes[n]; return ext || n == "800" },
	})
}

// gateExits are the numbers tried, in the order of the expectation
// strings: pbx national, pbx international, pbx2 national, pbx3 local,
// room 800 (also matched by the 8. rule), extension 1001.
var gateExits = []string{"0301234", "0044207946", "9301234", "7123", "800", "1001"}

// outcome is P placed, R refused (forbidden), L local (never a trunk), U
// no rule routes it.
func outcome(err error) byte {
	switch {
	case err == nil:
		return 'P'
	case errors.Is(err, ErrLocalNumber):
		return 'L'
	case errors.Is(err, ErrForbidden):
		return 'R'
	case errors.Is(err, ErrTrunkUnavailable):
		return 'U'
	}
	return '?'
}

// TestGateEveryEntryTimesEveryExit walks every entry point × every exit
// with two and three trunks, without and with transit rules, and asserts
// placed or refused. A call that entered from a trunk never leaves
// through a trunk without a transit rule for that pair, whatever its
// From says.
func TestGateEveryEntryTimesEveryExit(t *testing.T) {
	transit := []configs.TransitRule{{From: "pbx", To: "pbx2", Permission: "national"}, {From: "pbx", To: "pbx", Permission: "local"}}
	for _, tc := range []struct {
		name string
		gate *Gate
		want map[string]string // entry → outcome per exit
	}{
		{"3 trunks, no transit", testGate(3), map[string]string{
			"browser 1001 (national)":          "PRPPLL",
			"browser 1002 (international)":     "PPPPLL",
			"browser 1003 (internal)":          "RRRRLL",
			"pbx caller, From 1002":            "RRRRLL",
			"pbx2 caller, From 1002":           "RRRRLL",
			"pbx caller, From 800 (bridged)":   "RRRRLL",
			"room 800 bridge (national)":       "PRPPLL",
			"1002 transfers a pbx caller":      "RRRRLL",
			"1003 transfers a pbx caller":      "RRRRLL",
			"1002 transfers browser 1003":      "PPPPLL",
			"1003 transfers browser 1002":      "RRRRLL",
			"pbx REFERs browser 1002":          "RRRRLL",
			"pbx2 REFERs on our dialled leg":   "RRRRLL",
			"1002 transfers its dialled party": "PPPPLL",
			"unknown origin, From 1002":        "RRRRLL",
		}},
		{"3 trunks, transit pbx→pbx2 national, pbx→pbx local", testGate(3, transit...), map[string]string{
			"browser 1001 (national)":          "PRPPLL",
			"browser 1002 (international)":     "PPPPLL",
			"browser 1003 (internal)":          "RRRRLL",
			"pbx caller, From 1002":            "RRPRLL",
			"pbx2 caller, From 1002":           "RRRRLL",
			"pbx caller, From 800 (bridged)":   "RRPRLL",
			"room 800 bridge (national)":       "PRPPLL",
			"1002 transfers a pbx caller":      "RRPRLL",
			"1003 transfers a pbx caller":      "RRRRLL",
			"1002 transfers browser 1003":      "PPPPLL",
			"1003 transfers browser 1002":      "RRRRLL",
			"pbx REFERs browser 1002":          "RRPRLL",
			"pbx2 REFERs on our dialled leg":   "RRRRLL",
			"1002 transfers its dialled party": "PPPPLL",
			"unknown origin, From 1002":        "RRRRLL",
		}},
		{"2 trunks, no transit", testGate(2), map[string]string{
			"browser 1001 (national)":          "PRPULL",
			"browser 1002 (international)":     "PPPULL",
			"browser 1003 (internal)":          "RRRULL",
			"pbx caller, From 1002":            "RRRULL",
			"pbx2 caller, From 1002":           "RRRULL",
			"pbx caller, From 800 (bridged)":   "RRRULL",
			"room 800 bridge (national)":       "PRPULL",
			"1002 transfers a pbx caller":      "RRRULL",
			"1003 transfers a pbx caller":      "RRRULL",
			"1002 transfers browser 1003":      "PPPULL",
			"1003 transfers browser 1002":      "RRRULL",
			"pbx REFERs browser 1002":          "RRRULL",
			"pbx2 REFERs on our dialled leg":   "RRRULL",
			"1002 transfers its dialled party": "PPPULL",
			"unknown origin, From 1002":        "RRRULL",
		}},
		{"2 trunks, transit pbx→pbx2 national, pbx→pbx local", testGate(2, transit...), map[string]string{
			"browser 1001 (national)":          "PRPULL",
			"browser 1002 (international)":     "PPPULL",
			"browser 1003 (internal)":          "RRRULL",
			"pbx caller, From 1002":            "RRPULL",
			"pbx2 caller, From 1002":           "RRRULL",
			"pbx caller, From 800 (bridged)":   "RRPULL",
			"room 800 bridge (national)":       "PRPULL",
			"1002 transfers a pbx caller":      "RRPULL",
			"1003 transfers a pbx caller":      "RRRULL",
			"1002 transfers browser 1003":      "PPPULL",
			"1003 transfers browser 1002":      "RRRULL",
			"pbx REFERs browser 1002":          "RRPULL",
			"pbx2 REFERs on our dialled leg":   "RRRULL",
			"1002 transfers its dialled party": "PPPULL",
			"unknown origin, From 1002":        "RRRULL",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.want) != len(gateEntries) {
				t.Fatalf("%d expectations for %d entries", len(tc.want), len(gateEntries))
			}
			for _, e := range gateEntries {
				var got strings.Builder
				for _, to := range gateExits {
					_, err := tc.gate.Decide(sfu.DialRequest{From: sfu.Identity{Number: e.from}, To: to, Origin: e.party, TransferredBy: e.by})
					got.WriteByte(outcome(err))
				}
				if got.String() != tc.want[e.name] {
					t.Errorf("%-34s exits %v: got %s, want %s", e.name, gateExits, got.String(), tc.want[e.name])
				}
			}
		})
	}
}

// TestGateRouteIsTheExitTrunk: a decision names the trunk the dial plan
// picks and the number as sent (strip/prepend applied).
func TestGateRouteIsTheExitTrunk(t *testing.T) {
	g := NewGate(GateConfig{Dialplan: []configs.DialRule{{Pattern: "9.", Trunk: "pbx2", Strip: 1, Prepend: "+49", Permission: "local"}},
		Transit: []configs.TransitRule{{From: "pbx", To: "pbx2", Permission: "national"}}})
	r, err := g.Decide(sfu.DialRequest{To: "930 1234", Origin: sfu.TrunkOrigin("pbx", false)})
	if err != nil || r.Trunk != "pbx2" || r.Number != "+49301234" {
		t.Fatalf("route = %+v, %v; want pbx2 +49301234", r, err)
	}
}
