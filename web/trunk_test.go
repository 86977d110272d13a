package web_test

import (
	"net/http"
	"strings"
	"testing"
)

// trunkConfig has a static SIP peer on a loopback port nobody answers and
// a dial plan that needs the "national" class for 0-numbers.
const trunkConfig = `
calls: {no_answer_timeout: 5s}
media: {interfaces: [lo]}
trunks:
  - {name: pbx, address: "127.0.0.1:5999", listen: "127.0.0.1:0", allowed_sources: [127.0.0.1]}
dialplan:
  - {pattern: "0.", trunk: pbx, permission: national}
extensions:
  - {number: "1001", name: Alice, password: pw1001, xphone: true, admin: true, permission: national}
  - {number: "1002", name: Bob, password: pw1002, xphone: true}
`

func TestTrunkIsWiredAndForbiddenNumbersNeverLeave(t *testing.T) {
	srv := startServer(t, trunkConfig)
	bob := loggedInTab(t, srv, "1002", "pw1002")
	id, _ := dial(t, bob, "0301234567", false)
	bob.waitFor("call-state", map[string]any{"call": id, "state": "ended", "reason": "forbidden"})
	aliceB := newBrowser(t, srv)
	aliceB.login("1001", "pw1001")
	m := scrape(t, srv)
	if m[`xphone_sip_events_total{event="invite_sent",trunk="pbx"}`] != 0 {
		t.Fatal("a forbidden number produced an INVITE")
	}
	if m[`xphone_trunk_registered{trunk="pbx"}`] != 1 {
		t.Fatalf("static trunk not reported up: %v", m)
	}
	alice := aliceB.mustTab()
	aid, _ := dial(t, alice, "0301234567", false) // allowed: an INVITE goes out, nobody answers
	waitUntil(t, "an INVITE to the trunk", func() bool {
		return scrape(t, srv)[`xphone_sip_events_total{event="invite_sent",trunk="pbx"}`] == 1
	})
	alice.send(map[string]any{"type": "hangup", "call": aid})
	alice.waitFor("call-state", map[string]any{"call": aid, "state": "ended"})
	resp, body := aliceB.get("admin/")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body["_body"].(string), "pbx") {
		t.Fatalf("admin page lacks the trunk: %d", resp.StatusCode)
	}
}

func TestTransferCannotReachThroughSomeoneElsesPermission(t *testing.T) {
	srv := startServer(t, trunkConfig)
	aliceB := newBrowser(t, srv)
	aliceB.login("1001", "pw1001") // may call national numbers
	alice := aliceB.mustTab()
	bob := loggedInTab(t, srv, "1002", "pw1002") // internal only
	id, _, _ := connect(t, alice, bob, "1002")
	bob.send(map[string]any{"type": "transfer", "req": "x1", "call": id, "to": "0301234567"})
	bob.waitFor("error", map[string]any{"req": "x1", "code": "not_allowed"})
	if n := scrape(t, srv)[`xphone_sip_events_total{event="invite_sent",trunk="pbx"}`]; n != 0 {
		t.Fatalf("%v INVITEs sent for a forbidden transfer", n)
	}
	if alice.find("call-state", map[string]any{"call": id, "state": "ended"}) != nil {
		t.Fatal("the refused transfer ended the call")
	}
}
