package server

import (
	"context"
	"log/slog"

	"xphone/configs"
	"xphone/store"
	"xphone/store/redisstore"
)

// openStore opens the durable store: Redis, shared by the cluster's
// nodes, when there is a cluster: block (unless cluster.store is sqlite),
// otherwise the SQLite file in the data directory as a single node has
// always had. An existing SQLite file is not copied into Redis here:
// `xphone store-to-redis` does that once.
func (s *Server) openStore(ctx context.Context) error {
	c := s.cfg.Cluster
	if !c.SharedStore() {
		db, err := store.OpenDir(ctx, s.dataDir)
		if err != nil {
			return err
		}
		s.db = db
		return nil
	}
	db, err := OpenSharedStore(ctx, c, s.log.With("part", "store"))
	if err != nil {
		return err
	}
	s.db = db
	s.log.Info("store: sessions, history and settings in Redis", "redis", c.Redis.Addrs)
	return nil
}

// OpenSharedStore opens the Redis store on the cluster's Redis, with the
// same connection settings as the cluster itself.
func OpenSharedStore(ctx context.Context, c *configs.Cluster, log *slog.Logger) (*redisstore.Store, error) {
	return redisstore.Open(ctx, redisstore.Options{
		Addrs: c.Redis.Addrs, MasterName: c.Redis.MasterName, Username: c.Redis.Username,
		Password: c.Redis.Password, DB: c.Redis.DB, Log: log, Prefix: c.Redis.ClusterPrefix() + ":",
	})
}
