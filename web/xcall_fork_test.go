package web_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"xphone/cluster"
	"xphone/internal/server"
)

// Three nodes on one in-process cluster.Hub, each with its own media
// address on loopback (Linux routes all of 127/8 to lo).
const forkConfig = `
calls: {no_answer_timeout: 5s}
media: {interfaces: [lo], public_ips: [%s]}
extensions:
  - {number: "1001", name: Alice, password: pw1001, xphone: true}
  - {number: "1002", name: Bob, password: pw1002, xphone: true}
`

// threeHubNodes starts n1, n2 and n3 (media on 127.0.0.1, .2, .3).
func threeHubNodes(t *testing.T) ([]*server.Server, cluster.Cluster) {
	t.Helper()
	hub := cluster.NewHub(nil)
	var srvs []*server.Server
	var first cluster.Cluster
	for i := 1; i <= 3; i++ {
		node, err := hub.Node(fmt.Sprintf("n%d", i), nil)
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = node
		}
		srvs = append(srvs, startServer(t, fmt.Sprintf(forkConfig, fmt.Sprintf("127.0.0.%d", i)),
			func(o *server.Options) { o.Cluster = node }))
	}
	return srvs, first
}

// TestCallRingsEveryHomeNode: Bob has a tab on each of three nodes and
// Alice calls him from n1. Every tab rings; the first to answer wins,
// wherever it is, and the others stop with answered_elsewhere, as two tabs
// on one node do; a decline on any node declines the call everywhere; the
// caller hanging up stops all of them.
func TestCallRingsEveryHomeNode(t *testing.T) {
	srvs, n1 := threeHubNodes(t)
	alice := loggedInTab(t, srvs[0], "1001", "pw1001")
	bobs := []*tab{loggedInTab(t, srvs[0], "1002", "pw1002"), loggedInTab(t, srvs[1], "1002", "pw1002"),
		loggedInTab(t, srvs[2], "1002", "pw1002")}
	waitUntil(t, "Bob's tabs on three nodes in the directory", func() bool {
		nodes, err := n1.ExtensionNodes(context.Background(), "1002")
		return err == nil && slices.Equal(nodes, []string{"n1", "n2", "n3"})
	})

	for _, c := range []struct {
		name    string
		answers int    // Bob's tab that answers (its node's index)
		anchor  string // the media address its answer must name
	}{{"a tab on another node answers", 2, "127.0.0.1"}, {"the caller's node's tab answers", 0, "127.0.0.1"}} {
		t.Run(c.name, func(t *testing.T) {
			id, _ := dial(t, alice, "1002", false)
			ringAll(t, bobs, id)
			bc, sdp := offer(t, false)
			bobs[c.answers].send(map[string]any{"type": "accept", "call": id, "sdp": sdp})
			ans := bobs[c.answers].waitFor("answer", map[string]any{"call": id})
			if hosts := candidateHosts(ans["sdp"].(string)); !slices.Equal(hosts, []string{c.anchor}) {
				t.Fatalf("the callee's media goes to %v, want the anchor's %s", hosts, c.anchor)
			}
			answerAndConnect(t, bc, ans)
			alice.waitFor("call-state", map[string]any{"call": id, "state": "connected", "peer": "1002"})
			for i, b := range bobs {
				if i != c.answers {
					b.waitFor("call-state", map[string]any{"call": id, "state": "ended", "reason": "answered_elsewhere"})
				}
			}
			alice.send(map[string]any{"type": "hangup", "call": id})
			bobs[c.answers].waitFor("call-state", map[string]any{"call": id, "state": "ended", "reason": "hangup"})
		})
	}

	t.Run("a decline on one node declines everywhere", func(t *testing.T) {
		id, _ := dial(t, alice, "1002", false)
		ringAll(t, bobs, id)
		bobs[1].send(map[string]any{"type": "decline", "call": id})
		alice.waitFor("call-state", map[string]any{"call": id, "state": "ended", "reason": "declined"})
		for _, b := range bobs {
			b.waitFor("call-state", map[string]any{"call": id, "state": "ended", "reason": "declined"})
		}
	})

	t.Run("the caller hangs up", func(t *testing.T) {
		id, _ := dial(t, alice, "1002", false)
		ringAll(t, bobs, id)
		alice.send(map[string]any{"type": "hangup", "call": id})
		for _, b := range bobs {
			b.waitFor("call-state", map[string]any{"call": id, "state": "ended", "reason": "cancelled"})
		}
	})
}

// ringAll waits for call id's popup in every tab.
func ringAll(t *testing.T, tabs []*tab, id string) {
	t.Helper()
	for _, b := range tabs {
		b.waitFor("incoming", map[string]any{"call": id})
	}
}
