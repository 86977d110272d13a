package configs

import (
	"fmt"
	"time"
)

// Bounds of cluster.ttl: below a second a busy Redis would see nodes die
// spuriously; above a minute a dead node's users stay listed too long.
const (
	DefaultClusterTTL = 6 * time.Second
	MinClusterTTL     = time.Second
	MaxClusterTTL     = time.Minute
	maxNodeIDLength   = 64
)

// validate checks the cluster block; nil (no block) is valid.
func (c *Cluster) validate(ps *problems) {
	if c == nil {
		return
	}
	if len(c.NodeID) > maxNodeIDLength || !isNodeID(c.NodeID) {
		ps.add("cluster.node_id", "%q: use up to %d letters, digits, '.', '_' or '-' (empty: the host name)", c.NodeID, maxNodeIDLength)
	}
	for i, a := range c.Advertise {
		if err := checkHostPort(a); err != nil {
			ps.add(fmt.Sprintf("cluster.advertise[%d]", i), "%q %v", a, err)
		}
	}
	if c.RoomMedia != "" {
		if err := checkHostPort(c.RoomMedia); err != nil {
			ps.add("cluster.room_media", "%q %v", c.RoomMedia, err)
		}
	}
	if ttl := c.TTL.D(); ttl != 0 && (ttl < MinClusterTTL || ttl > MaxClusterTTL) {
		ps.add("cluster.ttl", "%v: want %v to %v (default %v)", ttl, MinClusterTTL, MaxClusterTTL, DefaultClusterTTL)
	}
	if c.Store != "" && c.Store != ClusterStoreRedis && c.Store != ClusterStoreSQLite {
		ps.add("cluster.store", "%q: want %s (default) or %s", c.Store, ClusterStoreRedis, ClusterStoreSQLite)
	}
	c.Redis.validate(ps)
}

func (r ClusterRedis) validate(ps *problems) {
	if len(r.Addrs) == 0 {
		ps.add("cluster.redis.addrs", "at least one Redis (or Sentinel) host:port is needed")
	}
	for i, a := range r.Addrs {
		if err := checkHostPort(a); err != nil {
			ps.add(fmt.Sprintf("cluster.redis.addrs[%d]", i), "%q %v", a, err)
		}
	}
	if len(r.Prefix) > maxNodeIDLength || !isNodeID(r.Prefix) {
		ps.add("cluster.redis.prefix", "%q: use up to %d letters, digits, '.', '_' or '-' (empty: xphone)", r.Prefix, maxNodeIDLength)
	}
	switch {
	case r.DB < 0 || r.DB > 15:
		ps.add("cluster.redis.db", "%d: want 0 to 15", r.DB)
	case r.DB != 0 && len(r.Addrs) > 1 && r.MasterName == "":
		ps.add("cluster.redis.db", "a Redis Cluster (several addrs without master_name) has only db 0")
	}
}

// isNodeID: what may name a node in Redis keys, metrics and logs.
func isNodeID(s string) bool {
	for _, r := range s {
		ok := r == '.' || r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if !ok {
			return false
		}
	}
	return true
}
