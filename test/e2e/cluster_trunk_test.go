package e2e

import (
	"fmt"
	"net"
	"regexp"
	"testing"
	"time"

	"xphone/internal/testpeers"
)

// clusterTrunkCallOnAnyNode: the PBX sends a call straight to n3, a node
// that holds neither the trunk's registration (n2 does) nor the callee's
// tab (Alice's is on n1), as a PBX behind one DNS name may. n3 routes it
// by the directory: Alice's browser rings on n1 and answers, the media is
// anchored on n3 (where the INVITE arrived: Alice's browser connects to
// n3's own address), and the PBX phone and Alice hear each other.
func clusterTrunkCallOnAnyNode(t *testing.T, c *clusterRig) {
	if h := c.leaseHolder(); h != "n2" {
		t.Fatalf("trunk lease held by %q, want n2 (the INVITE must land on a node without it)", h)
	}
	alice := c.users["1001"]
	peer := net.JoinHostPort("127.0.0.2", freePort(t, "127.0.0.2"))
	pbx := testpeers.StartBaresip(t, testpeers.BaresipOptions{
		Accounts: []string{fmt.Sprintf("<sip:7000@%s>;regint=0;audio_codecs=pcmu", peer)},
		SIP:      peer,
		Ctrl:     net.JoinHostPort("127.0.0.1", freePort(t, "127.0.0.1")),
		Cons:     net.JoinHostPort("127.0.0.1", freePort(t, "127.0.0.1")),
		ToneHz:   1000,
	})
	dialled := time.Now()
	pbx.Command(t, "dial", "sip:1001@"+c.nodes[2].sip)
	alice.waitUntil("incoming trunk call", signalTimeout, "window.__xpt.names('dialog').length === 1")
	rang := time.Since(dialled)
	if d := alice.text("dialog"); !regexp.MustCompile(`7000`).MatchString(d) {
		t.Fatalf("incoming dialog shows %q, want the PBX caller 7000", d)
	}
	alice.click("button", "Accept Audio")
	pbx.WaitEvent(t, "CALL_ESTABLISHED", signalTimeout)
	alice.waitText("status", regexp.MustCompile("^Connected to 7000"), signalTimeout)
	alice.requireMediaFlowing(false, mediaTimeout)
	for i, want := range []float64{0, 0, 1} {
		if got := c.nodes[i].metric("xphone_calls_active"); got != want {
			t.Errorf("%s has %v calls, want %v: the call is anchored on n3, where the INVITE arrived", c.nodes[i].id, got, want)
		}
	}
	db := pbx.CheckRecording(t, clusterTones["1001"], -40)
	pbx.Command(t, "hangup", "")
	pbx.WaitEvent(t, "CALL_CLOSED", signalTimeout)
	alice.waitUntil("Alice idle after the PBX hung up", signalTimeout, idle())
	t.Logf("FIGURE trunk call landing on n3 (no lease, callee on n1): INVITE → ringing in Alice's browser %v; Alice's tone at the PBX phone %.1f dBFS",
		rang.Round(time.Millisecond), db)
}
