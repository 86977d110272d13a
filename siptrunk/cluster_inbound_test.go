package siptrunk_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"xphone/cluster/clustertest"
	"xphone/internal/server"
	"xphone/internal/testpeers"
	"xphone/sfu/sfutest"
)

// Two nodes with the same trunk to baresip (the PBX), each listening for
// SIP on its own loopback address. Both advertise media on 127.0.0.1 (their
// media sockets differ by port): the pion clients' packets to a node's
// 127.0.0.2 would be answered from 127.0.0.1, which ICE ignores. The
// trunk registers, so exactly one node holds its lease (n1, started first) and n2 stands by. Registering
// with baresip fails (it is no registrar): that changes nothing for
// calls, which is the point — no call path looks at the registration.
const xtrunkConfig = `
calls: {no_answer_timeout: 5s}
media: {interfaces: [lo], public_ips: [127.0.0.1]}
trunks:
  - {name: pbx, address: "127.0.0.2:5070", listen: "%[1]s:5060", allowed_sources: [127.0.0.2], codecs: [pcmu],
     register: {user: xphone, password: s3cret}}
dialplan:
  - {pattern: "0.", trunk: pbx, permission: national}
extensions:
  - {number: "1001", name: Alice, password: pw1001, xphone: true}
  - {number: "1002", name: Bob, password: pw1002, xphone: true, permission: national}
  - {number: "1003", name: Carol, password: pw1003, xphone: true}
cluster: {node_id: %[2]s, ttl: 1s, redis: {addrs: [%[3]q]}}
`

// baresip places calls as 0300 and auto-answers calls to 0200.
const (
	pbxCaller = "<sip:0300@127.0.0.2:5070>;regint=0;mediaenc=dtls_srtp;medianat=ice;audio_codecs=pcmu"
	pbxPhone  = "<sip:0200@127.0.0.2:5070>;regint=0;answermode=auto;mediaenc=dtls_srtp;medianat=ice;audio_codecs=pcmu"
	n1SIP     = "127.0.0.1:5060"
)

// trunkNodes starts n1 (SIP and media on 127.0.0.1), then n2 (127.0.0.2),
// and waits until n2 sees n1 holding the trunk's lease.
func trunkNodes(t *testing.T) (*server.Server, *server.Server) {
	t.Helper()
	redis := clustertest.StartRedis(t)
	a := startNode(t, fmt.Sprintf(xtrunkConfig, "127.0.0.1", "n1", redis.Addr()))
	b := startNode(t, fmt.Sprintf(xtrunkConfig, "127.0.0.2", "n2", redis.Addr()))
	waitUntil(t, "n2 standing by for n1's trunk lease", func() bool {
		ts := b.Status(context.Background()).Trunks
		return len(ts) == 1 && ts[0].State == "standby" && ts[0].Holder == "n1"
	})
	return a, b
}

// TestTrunkCallAcrossNodes: the PBX calls Bob through n1 (the lease
// holder, whose contact it knows) while Bob's only tab is on n2. Bob's tab
// rings on n2, his media goes to n1 (the trunk's SIP and RTP stay there),
// audio flows both ways, and either side hangs up. Unknown and offline
// extensions and do-not-disturb get the SIP answers a single node gives.
// Bob then dials out from n2, the node without the lease.
func TestTrunkCallAcrossNodes(t *testing.T) {
	a, b := trunkNodes(t)
	pbx := testpeers.StartBaresip(t, testpeers.BaresipOptions{Accounts: []string{pbxCaller, pbxPhone}})
	alice, bob := loggedInTab(t, a, "1001", "pw1001"), loggedInTab(t, b, "1002", "pw1002")
	waitPresence(t, alice, "1002", "available")

	for i, hangsUp := range []string{"pbx", "callee"} {
		pbx.Command(t, "dial", "sip:1002@"+n1SIP)
		in := bob.waitNth("incoming", nil, i+1)
		if in["from"] != "0300" {
			t.Fatalf("incoming %v, want from 0300", in)
		}
		id := in["call"].(string)
		waitEvents(t, pbx, "CALL_RINGING", i+1)
		waitPresence(t, alice, "1002", "ringing")
		bc, sdp := offer(t)
		bob.send(map[string]any{"type": "accept", "call": id, "sdp": sdp})
		ans := bob.waitFor("answer", map[string]any{"call": id})
		if hosts := candidateHosts(ans["sdp"].(string)); !slices.Equal(hosts, []string{"127.0.0.1"}) {
			t.Fatalf("the callee's media goes to %v, want the trunk node's 127.0.0.1", hosts)
		}
		answerAndConnect(t, bc, ans["sdp"].(string))
		bob.waitFor("call-state", map[string]any{"call": id, "state": "connected", "peer": "0300"})
		waitEvents(t, pbx, "CALL_ESTABLISHED", i+1)
		anchoredOn(t, a, b)
		if i == 0 {
			audioBothWays(t, pbx, bc)
		}
		if hangsUp == "pbx" {
			pbx.Command(t, "hangup", "")
		} else {
			bob.send(map[string]any{"type": "hangup", "call": id})
		}
		bob.waitFor("call-state", map[string]any{"call": id, "state": "ended"})
		waitEvents(t, pbx, "CALL_CLOSED", i+1)
		waitPresence(t, alice, "1002", "available")
	}
	closed := 2
	pbxRefused := func(number, want string) {
		t.Helper()
		pbx.Command(t, "dial", "sip:"+number+"@"+n1SIP)
		closed++
		e := waitEvents(t, pbx, "CALL_CLOSED", closed)
		if p := testpeers.Param(e); !strings.Contains(p, want) {
			t.Errorf("call to %s closed with %q, want %s", number, p, want)
		}
	}
	pbxRefused("1999", "404") // no such extension
	pbxRefused("1003", "480") // Carol has no tab on any node
	bob.send(map[string]any{"type": "dnd", "on": true})
	bob.waitFor("dnd", map[string]any{"on": true})
	pbxRefused("1002", "480") // Do Not Disturb, decided on n2
	bob.send(map[string]any{"type": "dnd", "on": false})
	bob.waitFor("dnd", map[string]any{"on": false})

	dialOutFromStandby(t, b, bob, pbx)
}

// anchoredOn: the connected call and the callee's WebRTC leg are on the
// anchor; the callee's home node has neither (its tab holds a stand-in).
func anchoredOn(t *testing.T, anchor, home *server.Server) {
	t.Helper()
	for _, c := range []struct {
		srv  *server.Server
		name string
		want float64
	}{
		{anchor, "xphone_calls_active", 1}, {anchor, `xphone_legs_active{kind="browser"}`, 1},
		{home, "xphone_calls_active", 0}, {home, `xphone_legs_active{kind="browser"}`, 0},
	} {
		if got := metric(t, c.srv, c.name); got != c.want {
			t.Errorf("%s on %s = %v, want %v", c.name, map[bool]string{true: "the anchor", false: "the home node"}[c.srv == anchor], got, c.want)
		}
	}
}

// audioBothWays: the callee hears baresip's 440 Hz tone and baresip
// records the callee's 1 kHz tone.
func audioBothWays(t *testing.T, pbx *testpeers.Baresip, bc *sfutest.Client) {
	t.Helper()
	if err := bc.StartTone(1000, 16000); err != nil {
		t.Fatal(err)
	}
	bc.Listen()
	deadline := time.Now().Add(8 * time.Second)
	db := -200.0
	for time.Now().Before(deadline) && db < -30 {
		time.Sleep(500 * time.Millisecond)
		db = testpeers.ToneDB(bc.Heard(time.Second), 48000, 440)
	}
	t.Logf("the callee on n2 hears the PBX's 440 Hz tone at %.1f dBFS", db)
	if db < -30 {
		t.Errorf("the PBX's tone too weak at the callee: %.1f dBFS", db)
	}
	pbx.CheckRecording(t, 1000, -30)
}

// dialOutFromStandby: Bob, on n2, which does not hold the trunk's lease,
// calls 0200 on the PBX; n2 sends the INVITE itself and the call connects.
func dialOutFromStandby(t *testing.T, n2 *server.Server, bob *tab, pbx *testpeers.Baresip) {
	t.Helper()
	before := len(pbx.Events("CALL_ESTABLISHED"))
	bc, sdp := offer(t)
	bob.send(map[string]any{"type": "dial", "req": "out", "to": "0200", "sdp": sdp})
	id := bob.waitFor("call-state", map[string]any{"state": "dialing", "req": "out"})["call"].(string)
	ans := bob.waitFor("answer", map[string]any{"call": id})["sdp"].(string)
	t.Logf("outbound answer candidates %v", candidateHosts(ans))
	answerAndConnect(t, bc, ans)
	bob.waitFor("call-state", map[string]any{"call": id, "state": "connected"})
	waitEvents(t, pbx, "CALL_ESTABLISHED", before+1)
	if n := metric(t, n2, `xphone_sip_events_total{event="invite_sent",trunk="pbx"}`); n != 1 {
		t.Errorf("n2 sent %v INVITEs, want 1", n)
	}
	bob.send(map[string]any{"type": "hangup", "call": id})
	bob.waitFor("call-state", map[string]any{"call": id, "state": "ended"})
}

// waitEvents waits until baresip reported n events of type typ and
// returns the n-th.
func waitEvents(t *testing.T, b *testpeers.Baresip, typ string, n int) map[string]any {
	t.Helper()
	waitUntil(t, fmt.Sprintf("baresip %s #%d", typ, n), func() bool { return len(b.Events(typ)) >= n })
	return b.Events(typ)[n-1]
}

// TestTrunkCallSetupFigures: INVITE → 180 as the PBX sees it (baresip's
// dial command → its CALL_RINGING event), for a callee on the node the
// INVITE reaches and for one homed on the other node; calls alternate,
// each cancelled by the PBX once ringing.
func TestTrunkCallSetupFigures(t *testing.T) {
	if testing.Short() {
		t.Skip("figures only")
	}
	a, b := trunkNodes(t)
	pbx := testpeers.StartBaresip(t, testpeers.BaresipOptions{Accounts: []string{pbxCaller}})
	alice := loggedInTab(t, a, "1001", "pw1001")
	loggedInTab(t, b, "1002", "pw1002")
	waitPresence(t, alice, "1002", "available")
	var local, across []time.Duration
	for i := range 10 {
		local = append(local, timeToRinging(t, pbx, alice, "1001", 2*i+1))
		across = append(across, timeToRinging(t, pbx, alice, "1002", 2*i+2))
	}
	t.Logf("INVITE → 180, callee on the trunk's node: %s", spread(local))
	t.Logf("INVITE → 180, callee on the other node:   %s", spread(across))
}

// timeToRinging dials ext through n1 as the n-th call of pbx, times it to
// ringing, then cancels it and waits until ext is available again.
func timeToRinging(t *testing.T, pbx *testpeers.Baresip, watcher *tab, ext string, n int) time.Duration {
	t.Helper()
	start := time.Now()
	pbx.Command(t, "dial", "sip:"+ext+"@"+n1SIP)
	for len(pbx.Events("CALL_RINGING")) < n {
		if time.Since(start) > 5*time.Second {
			t.Fatalf("no 180 for call %d to %s: %v", n, ext, pbx.EventTypes())
		}
		time.Sleep(200 * time.Microsecond)
	}
	d := time.Since(start)
	pbx.Command(t, "hangup", "")
	waitEvents(t, pbx, "CALL_CLOSED", n)
	waitPresence(t, watcher, ext, "available")
	return d
}
