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
	"xphone/siptrunk"
)

// Two nodes with the same trunk to kamailio (the PBX: registrar and proxy),
// each listening for SIP on its own loopback address. The trunk registers
// as 4000, so exactly one node holds its lease (n1, started first) and
// kamailio knows only n1's contact; n2 stands by. Both advertise media on
// 127.0.0.1 (their media sockets differ by port): the pion clients'
// packets to a node's 127.0.0.2 would be answered from 127.0.0.1, which
// ICE ignores.
const xtrunkConfig = `
calls: {no_answer_timeout: 5s}
media: {interfaces: [lo], public_ips: [127.0.0.1]}
trunks:
  - {name: pbx, address: "127.0.0.2:5080", listen: "%[1]s:5060", allowed_sources: [127.0.0.2], codecs: [pcmu],
     register: {user: "4000", password: s3cret, expiry: 60s}, inbound: {"4000": "1002"}}
dialplan:
  - {pattern: "7XXX", trunk: pbx, permission: national}
extensions:
  - {number: "1001", name: Alice, password: pw1001, xphone: true}
  - {number: "1002", name: Bob, password: pw1002, xphone: true, permission: national}
  - {number: "1003", name: Carol, password: pw1003, xphone: true}
cluster: {node_id: %[2]s, ttl: 1s, redis: {addrs: [%[3]q]}}
`

// The PBX's phone: baresip registered to kamailio as 7000, answering at
// once. It also places the PBX's calls.
const (
	pbxPhone = "<sip:7000@127.0.0.2:5080>;auth_pass=bobpw;regint=60;answermode=auto;mediaenc=dtls_srtp;medianat=ice;audio_codecs=pcmu"
	n1SIP    = "127.0.0.1:5060"
)

// trunkNodes starts kamailio, n1 (SIP on 127.0.0.1), then n2 (127.0.0.2),
// and waits until n1 registered and n2 stands by for n1's lease; edit, if
// given, changes the config text of both.
func trunkNodes(t *testing.T, edit ...func(string) string) (a, b *server.Server, kamailioLog func(string, time.Duration)) {
	t.Helper()
	kamailioLog = siptrunk.StartKamailio(t)
	redis := clustertest.StartRedis(t)
	cfg := func(ip, id string) string {
		s := fmt.Sprintf(xtrunkConfig, ip, id, redis.Addr())
		for _, f := range edit {
			s = f(s)
		}
		return s
	}
	a = startNode(t, cfg("127.0.0.1", "n1"))
	kamailioLog("REGISTER ok 4000 expires=60 proto=udp contact=<sip:4000@127.0.0.1:5060", 10*time.Second)
	b = startNode(t, cfg("127.0.0.2", "n2"))
	waitUntil(t, "n2 standing by for n1's trunk lease", func() bool {
		ts := b.Status(context.Background()).Trunks
		return len(ts) == 1 && ts[0].State == "standby" && ts[0].Holder == "n1"
	})
	return a, b, kamailioLog
}

// TestTrunkCallAcrossNodes: the PBX calls Bob through n1 (the lease
// holder, whose contact it knows) while Bob's only tab is on n2. Bob's tab
// rings on n2, his media goes to n1 (the trunk's SIP and RTP stay there),
// audio flows both ways, and either side hangs up. Unknown and offline
// extensions and do-not-disturb get the SIP answers a single node gives.
// Bob then dials out from n2, the node without the lease.
func TestTrunkCallAcrossNodes(t *testing.T) {
	a, b, kamailioLog := trunkNodes(t)
	pbx := testpeers.StartBaresip(t, testpeers.BaresipOptions{Accounts: []string{pbxPhone}})
	kamailioLog("REGISTER ok 7000", 10*time.Second)
	alice, bob := loggedInTab(t, a, "1001", "pw1001"), loggedInTab(t, b, "1002", "pw1002")
	waitPresence(t, alice, "1002", "available")

	for i, hangsUp := range []string{"pbx", "callee"} {
		pbx.Command(t, "dial", "sip:4000@"+siptrunk.KamailioSIP) // the trunk's number: 1002 (inbound route)
		in := bob.waitNth("incoming", nil, i+1)
		if in["from"] != "7000" {
			t.Fatalf("incoming %v, want from 7000", in)
		}
		kamailioLog("relay INVITE 4000 via udp to sip:4000@127.0.0.1:5060", time.Second)
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
		bob.waitFor("call-state", map[string]any{"call": id, "state": "connected", "peer": "7000"})
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
	pbxRefused := func(uri, want string) {
		t.Helper()
		pbx.Command(t, "dial", uri)
		closed++
		e := waitEvents(t, pbx, "CALL_CLOSED", closed)
		if p := testpeers.Param(e); !strings.Contains(p, want) {
			t.Errorf("call to %s closed with %q, want %s", uri, p, want)
		}
	}
	pbxRefused("sip:1999@"+n1SIP, "404") // no such extension (straight to n1: kamailio knows only 4000)
	pbxRefused("sip:1003@"+n1SIP, "480") // Carol has no tab on any node
	bob.send(map[string]any{"type": "dnd", "on": true})
	bob.waitFor("dnd", map[string]any{"on": true})
	pbxRefused("sip:4000@"+siptrunk.KamailioSIP, "480") // Do Not Disturb, decided on n2
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
	t.Logf("Bob's tab on n2 hears the PBX's 440 Hz tone at %.1f dBFS", db)
	if db < -30 {
		t.Errorf("the PBX's tone too weak at the callee: %.1f dBFS", db)
	}
	pbx.CheckRecording(t, 1000, -30)
}

// dialOutFromStandby: Bob, on n2, which does not hold the trunk's lease,
// calls 7000 on the PBX; n2 sends the INVITE itself (from its own address,
// kamailio relays it to baresip) and the call connects.
func dialOutFromStandby(t *testing.T, n2 *server.Server, bob *tab, pbx *testpeers.Baresip) {
	t.Helper()
	before := len(pbx.Events("CALL_ESTABLISHED"))
	bc, sdp := offer(t)
	bob.send(map[string]any{"type": "dial", "req": "out", "to": "7000", "sdp": sdp})
	id := bob.waitFor("call-state", map[string]any{"state": "dialing", "req": "out"})["call"].(string)
	ans := bob.waitFor("answer", map[string]any{"call": id})["sdp"].(string)
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
