package siptrunk_test

import (
	"strings"
	"testing"
	"time"

	"xphone/internal/testpeers"
)

// TestTrunkDialFromRegisteredContact: with dial_from_registered_contact,
// Bob on n2 (standby for the trunk's lease) calls 7000 on the PBX, and the
// INVITE reaches kamailio from n1, the contact it registered. The call and
// Bob's media are anchored on n1 while his tab stays on n2: audio both
// ways, progress and the end reach his tab, and either side hangs up; a
// user without permission to call out is refused by the holder's gate.
func TestTrunkDialFromRegisteredContact(t *testing.T) {
	a, b, kamailioLog := trunkNodes(t, func(s string) string {
		return strings.Replace(s, `inbound: {"4000": "1002"}}`, `inbound: {"4000": "1002"}, dial_from_registered_contact: true}`, 1)
	})
	pbx := testpeers.StartBaresip(t, testpeers.BaresipOptions{Accounts: []string{pbxPhone}})
	kamailioLog("REGISTER ok 7000", 10*time.Second)
	bob := loggedInTab(t, b, "1002", "pw1002")

	for i, hangsUp := range []string{"caller", "pbx"} {
		bc, sdp := offer(t)
		req := "out-" + hangsUp
		bob.send(map[string]any{"type": "dial", "req": req, "to": "7000", "sdp": sdp})
		id := bob.waitFor("call-state", map[string]any{"state": "dialing", "req": req})["call"].(string)
		answerAndConnect(t, bc, bob.waitFor("answer", map[string]any{"call": id})["sdp"].(string))
		bob.waitFor("call-state", map[string]any{"call": id, "state": "connected", "peer": "7000"})
		waitEvents(t, pbx, "CALL_ESTABLISHED", i+1)
		kamailioLog("INVITE for 7000 from 4000 at "+n1SIP, time.Second) // the registered contact, not n2's 127.0.0.2
		for _, c := range []struct {
			node string
			got  float64
			want float64
		}{
			{"n1", metric(t, a, `xphone_sip_events_total{event="invite_sent",trunk="pbx"}`), float64(i + 1)},
			{"n2", metric(t, b, `xphone_sip_events_total{event="invite_sent",trunk="pbx"}`), 0},
		} {
			if c.got != c.want {
				t.Errorf("%s sent %v INVITEs, want %v", c.node, c.got, c.want)
			}
		}
		anchoredOn(t, a, b)
		if i == 0 {
			audioBothWays(t, pbx, bc)
			bob.send(map[string]any{"type": "hangup", "call": id})
		} else {
			pbx.Command(t, "hangup", "")
		}
		bob.waitFor("call-state", map[string]any{"call": id, "state": "ended", "reason": "hangup"})
		waitEvents(t, pbx, "CALL_CLOSED", i+1)
	}

	// The holder's toll-fraud gate decides as on one node: Carol may not
	// call out, and her tab on n2 is told why; no INVITE leaves.
	carol := loggedInTab(t, b, "1003", "pw1003")
	_, sdp := offer(t)
	carol.send(map[string]any{"type": "dial", "req": "forbidden", "to": "7000", "sdp": sdp})
	id := carol.waitFor("call-state", map[string]any{"state": "dialing", "req": "forbidden"})["call"].(string)
	carol.waitFor("call-state", map[string]any{"call": id, "state": "ended", "reason": "forbidden"})
	if n := metric(t, a, `xphone_sip_events_total{event="invite_sent",trunk="pbx"}`); n != 2 {
		t.Errorf("n1 sent %v INVITEs after Carol's forbidden call, want still 2", n)
	}
}
