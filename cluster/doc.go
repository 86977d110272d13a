// Package cluster lets several Xphone nodes act as one: node liveness with
// load, a directory (which nodes hold an extension's tabs, which node hosts
// a room), a node-addressed request/reply bus with broadcast events, and
// leases with fencing (e.g. one node registers each SIP trunk account).
//
// There is one code path. Without a cluster configured the server uses
// NewMemory: an in-process implementation of the same Cluster interface
// with one node and no external service. With a cluster it uses NewRedis:
// Redis (standalone, Sentinel or Cluster through go-redis's
// UniversalClient) as a directory and a bus, never as the source of truth.
// Every key is a TTL key that its node refreshes, so a Redis that restarts
// empty is healed by the nodes without a restart, and a node that dies
// disappears when its keys expire. While Redis is unreachable, operations
// fail fast with ErrUnavailable and the node's local work goes on.
//
// The package imports no other Xphone package; docs/cluster.md explains
// the design and the choice of plain pub/sub over psrpc for the bus.
package cluster
