package siptrunk

import (
	"testing"

	"github.com/emiago/sipgo/sip"

	"xphone/sfu"
)

// TestDialogInfoState maps RFC 4235 documents (as Asterisk writes them)
// to presence states; broken XML is an error, never a state.
func TestDialogInfoState(t *testing.T) {
	const head = `<?xml version="1.0" encoding="UTF-8"?><dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="3" state="full" entity="sip:250@127.0.0.2">`
	for _, tc := range []struct {
		name, body string
		want       sfu.PresenceState
	}{
		{"idle", head + `<dialog id="250"><state>terminated</state></dialog></dialog-info>`, sfu.PresenceAvailable},
		{"no dialog", head + `</dialog-info>`, sfu.PresenceAvailable},
		{"ringing", head + `<dialog id="250" direction="recipient"><state>early</state></dialog></dialog-info>`, sfu.PresenceRinging},
		{"in a call", head + `<dialog id="250"><state>confirmed</state></dialog></dialog-info>`, sfu.PresenceOnCall},
		{"call wins over ringing", head + `<dialog id="a"><state>early</state></dialog><dialog id="b"><state>confirmed</state></dialog></dialog-info>`, sfu.PresenceOnCall},
	} {
		got, err := dialogInfoState([]byte(tc.body))
		if err != nil || got != tc.want {
			t.Errorf("%s: %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
	if _, err := dialogInfoState([]byte("<dialog-info><dialog>")); err == nil {
		t.Error("truncated XML accepted")
	}
}

// TestCallerIdentity: P-Asserted-Identity, then Remote-Party-ID, then From
// name the caller; a withheld identity stays withheld.
func TestCallerIdentity(t *testing.T) {
	for _, tc := range []struct {
		name string
		hdrs map[string]string
		want sfu.Identity
	}{
		{"from only", nil, sfu.Identity{Number: "201", Name: "Desk"}},
		{"pai", map[string]string{"P-Asserted-Identity": `"Desk \"A\"" <sip:202@pbx>`}, sfu.Identity{Number: "202", Name: `Desk "A"`}},
		{"pai tel", map[string]string{"P-Asserted-Identity": `<tel:+4930123>`}, sfu.Identity{Number: "+4930123"}},
		{"rpid", map[string]string{"Remote-Party-ID": `"Front" <sip:203@pbx>;party=calling;screen=yes;privacy=off`}, sfu.Identity{Number: "203", Name: "Front"}},
		{"privacy id", map[string]string{"P-Asserted-Identity": `<sip:204@pbx>`, "Privacy": "id"}, sfu.Identity{Number: "201", Name: "Desk"}},
		{"rpid privacy full", map[string]string{"Remote-Party-ID": `<sip:205@pbx>;privacy=full`}, sfu.Identity{Number: "201", Name: "Desk"}},
		{"garbage pai", map[string]string{"P-Asserted-Identity": `<sip:`}, sfu.Identity{Number: "201", Name: "Desk"}},
	} {
		req := sip.NewRequest(sip.INVITE, sip.Uri{User: "1001", Host: "127.0.0.1"})
		req.AppendHeader(&sip.FromHeader{DisplayName: "Desk", Address: sip.Uri{User: "201", Host: "pbx"}, Params: sip.NewParams()})
		for k, v := range tc.hdrs {
			req.AppendHeader(sip.NewHeader(k, v))
		}
		if got := callerIdentity(req); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}
