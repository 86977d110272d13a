package web_test

import (
	"fmt"
	"testing"

	"xphone/cluster/clustertest"
)

const clusterPresenceConfig = `
media: {interfaces: [lo]}
extensions:
  - {number: "1001", name: Alice, password: pw1001, xphone: true}
  - {number: "1002", name: Bob, password: pw1002, xphone: true}
  - {number: "1003", name: Carol, password: pw1003, xphone: true}
cluster: {node_id: %s, ttl: 1s, redis: {addrs: [%q]}}
`

// TestPresenceAcrossNodes: users on different nodes see each other's
// presence; a node that joins later learns it; a node that leaves takes
// its users' presence with it.
func TestPresenceAcrossNodes(t *testing.T) {
	redis := clustertest.StartRedis(t)
	node := func(id string) string { return fmt.Sprintf(clusterPresenceConfig, id, redis.Addr()) }
	a, b := startServer(t, node("n1")), startServer(t, node("n2"))
	bob := loggedInTab(t, b, "1002", "pw1002")
	alice := loggedInTab(t, a, "1001", "pw1001")
	waitPresence(t, bob, "1001", "available")
	waitPresence(t, alice, "1002", "available")

	c := startServer(t, node("n3")) // joins after both logged in
	carol := loggedInTab(t, c, "1003", "pw1003")
	waitPresence(t, carol, "1001", "available")
	waitPresence(t, carol, "1002", "available")
	waitPresence(t, bob, "1003", "available")

	_ = a.Close()
	waitPresence(t, bob, "1001", "offline")
	waitPresence(t, carol, "1001", "offline")
}
