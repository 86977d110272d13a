package server

import (
	"fmt"
	"testing"

	"xphone/cluster/clustertest"
	"xphone/store"
	"xphone/store/redisstore"
)

// TestStoreFollowsTheClusterBlock: no cluster: block keeps the data
// directory's SQLite file; a cluster: block puts the store in Redis;
// cluster.store: sqlite keeps the file for nodes sharing one machine.
func TestStoreFollowsTheClusterBlock(t *testing.T) {
	redis := clustertest.StartRedis(t)
	const ext = "extensions: [{number: \"1001\", xphone: true, password: secret-1001}]\n"
	cluster := func(extra string) string {
		return fmt.Sprintf("cluster: {node_id: n1, redis: {addrs: [%q]}%s}\n", redis.Addr(), extra) + ext
	}
	if _, ok := startNode(t, ext).db.(*store.SQLite); !ok {
		t.Error("a single node's store is not the SQLite file")
	}
	if _, ok := startNode(t, cluster("")).db.(*redisstore.Store); !ok {
		t.Error("a cluster node's store is not Redis")
	}
	if _, ok := startNode(t, cluster(", store: sqlite")).db.(*store.SQLite); !ok {
		t.Error("cluster.store: sqlite did not keep the file")
	}
}
