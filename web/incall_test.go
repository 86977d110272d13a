package web_test

import (
	"testing"

	"xphone/sfu/sfutest"
)

// connect makes from call to and to accept; it returns the call id and both
// fake browsers.
func connect(t *testing.T, from, to *tab, toNumber string) (string, *sfutest.Client, *sfutest.Client) {
	t.Helper()
	id, fc := dial(t, from, toNumber, false)
	waitConnected(t, fc)
	to.waitFor("incoming", map[string]any{"call": id})
	tc, sdp := offer(t, false)
	to.send(map[string]any{"type": "accept", "call": id, "sdp": sdp})
	answerAndConnect(t, tc, to.waitFor("answer", map[string]any{"call": id}))
	from.waitFor("call-state", map[string]any{"call": id, "state": "connected"})
	return id, fc, tc
}

func TestDTMFReachesTheOtherTab(t *testing.T) {
	srv := startServer(t, testConfig)
	alice, bob := loggedInTab(t, srv, "1001", "pw1001"), loggedInTab(t, srv, "1002", "pw1002")
	id, ac, _ := connect(t, alice, bob, "1002")
	for _, k := range "5#" {
		if err := ac.SendDTMF(k); err != nil {
			t.Fatal(err)
		}
	}
	bob.waitFor("dtmf", map[string]any{"call": id, "digit": "5"})
	bob.waitFor("dtmf", map[string]any{"call": id, "digit": "#"})
}

func TestHoldStateReachesBothTabs(t *testing.T) {
	srv := startServer(t, testConfig)
	alice, bob := loggedInTab(t, srv, "1001", "pw1001"), loggedInTab(t, srv, "1002", "pw1002")
	id, _, _ := connect(t, alice, bob, "1002")
	bob.send(map[string]any{"type": "hold", "call": id, "on": true})
	bob.waitFor("hold-state", map[string]any{"call": id, "local": true, "remote": false})
	alice.waitFor("hold-state", map[string]any{"call": id, "local": false, "remote": true})
	bob.send(map[string]any{"type": "hold", "call": id, "on": false})
	alice.waitFor("hold-state", map[string]any{"call": id, "local": false, "remote": false})
}

func TestBlindTransferOverSignalling(t *testing.T) {
	srv := startServer(t, testConfig)
	alice, bob := loggedInTab(t, srv, "1001", "pw1001"), loggedInTab(t, srv, "1002", "pw1002")
	carol := loggedInTab(t, srv, "1003", "pw1003")
	id, ac, _ := connect(t, alice, bob, "1002")
	bob.send(map[string]any{"type": "transfer", "call": id, "to": "1003"})
	bob.waitFor("call-state", map[string]any{"call": id, "state": "ended", "reason": "transferred"})
	alice.waitFor("call-state", map[string]any{"call": id, "state": "transferring", "peer": "1003"})
	carol.waitFor("incoming", map[string]any{"call": id, "from": "1001", "from_name": "Alice"})
	cc, sdp := offer(t, false)
	carol.send(map[string]any{"type": "accept", "call": id, "sdp": sdp})
	answerAndConnect(t, cc, carol.waitFor("answer", map[string]any{"call": id}))
	alice.waitFor("call-state", map[string]any{"call": id, "state": "connected", "peer": "1003", "peer_name": "Carol"})
	ac.StartSending('A')
	cc.StartSending('C')
	waitUntil(t, "alice and carol talk", func() bool { return ac.Received('C') > 5 && cc.Received('A') > 5 })
}

func TestAttendedTransferOverSignalling(t *testing.T) {
	srv := startServer(t, testConfig)
	alice, bob := loggedInTab(t, srv, "1001", "pw1001"), loggedInTab(t, srv, "1002", "pw1002")
	carol := loggedInTab(t, srv, "1003", "pw1003")
	held, ac, _ := connect(t, alice, bob, "1002")
	bob.send(map[string]any{"type": "hold", "call": held, "on": true})
	alice.waitFor("hold-state", map[string]any{"call": held, "remote": true})
	consult, _, cc := connect(t, bob, carol, "1003")
	bob.send(map[string]any{"type": "transfer", "call": held, "consult": consult})
	bob.waitFor("call-state", map[string]any{"call": held, "state": "ended", "reason": "transferred"})
	bob.waitFor("call-state", map[string]any{"call": consult, "state": "ended", "reason": "transferred"})
	alice.waitFor("call-state", map[string]any{"call": held, "state": "connected", "peer": "1003"})
	carol.waitFor("call-state", map[string]any{"call": consult, "state": "connected", "peer": "1001"})
	alice.waitFor("hold-state", map[string]any{"call": held, "local": false, "remote": false})
	ac.StartSending('A')
	cc.StartSending('C')
	waitUntil(t, "alice and carol talk", func() bool { return ac.Received('C') > 5 && cc.Received('A') > 5 })
}

func TestHoldAndTransferRefusedInConferencesAndForUnknownCalls(t *testing.T) {
	srv := startServer(t, testConfig)
	alice := loggedInTab(t, srv, "1001", "pw1001")
	id, c := dial(t, alice, "800", false)
	waitConnected(t, c)
	alice.waitFor("call-state", map[string]any{"call": id, "state": "connected"})
	alice.send(map[string]any{"type": "hold", "req": "h1", "call": id, "on": true})
	alice.waitFor("error", map[string]any{"req": "h1", "code": "not_allowed"})
	alice.send(map[string]any{"type": "transfer", "req": "t1", "call": id, "to": "1002"})
	alice.waitFor("error", map[string]any{"req": "t1", "code": "not_allowed"})
	alice.send(map[string]any{"type": "hold", "req": "h2", "call": "call-nope", "on": true})
	alice.waitFor("error", map[string]any{"req": "h2", "code": "unknown_call"})
}
