package server

import (
	"context"
	"os"
	"runtime"
	"syscall"
	"time"

	"xphone/cluster"
	"xphone/configs"
)

// loadInterval is how often this node's load reaches the cluster.
const loadInterval = 2 * time.Second

// startCluster joins the configured cluster through Redis, or makes the
// in-memory single-node one when there is no cluster: block (one code
// path, nothing external to run).
func (s *Server) startCluster(cfg *configs.Config) error {
	c := cfg.Cluster
	if c == nil {
		s.cluster = cluster.NewMemory(hostname(), nil)
		return nil
	}
	id := c.NodeID
	if id == "" {
		id = hostname()
	}
	r, err := cluster.NewRedis(cluster.RedisOptions{
		NodeID: id, Addrs: c.Redis.Addrs, MasterName: c.Redis.MasterName, Username: c.Redis.Username,
		Password: c.Redis.Password, DB: c.Redis.DB, Advertise: c.Advertise, TTL: c.TTL.D(),
		Prefix: "{" + c.Redis.ClusterPrefix() + "}:", // one hash slot for the cluster's keys
		Log:    s.log.With("part", "cluster"),
	})
	if err != nil {
		return err
	}
	s.cluster = r
	s.log.Info("cluster: joined", "node", id, "redis", c.Redis.Addrs, "reachable", r.Healthy())
	return nil
}

// hostname is the default node id; "xphone" when the host has no name.
func hostname() string {
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "xphone"
}

// reportLoad publishes calls, conference participants and CPU use to the
// cluster every loadInterval until Close.
func (s *Server) reportLoad() {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(loadInterval)
		defer t.Stop()
		cpu := cpuMeter{}
		for {
			select {
			case <-s.stop:
				return
			case now := <-t.C:
				s.cluster.SetLoad(s.load(cpu.fraction(now)))
			}
		}
	}()
}

// load is this node's work now.
func (s *Server) load(cpu float64) cluster.Load {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	people := 0
	for _, r := range s.rooms.Snapshot(ctx) {
		people += len(r.Members)
	}
	return cluster.Load{Calls: len(s.calls.Snapshot()), Participants: people, CPU: cpu}
}

// cpuMeter turns the process's CPU time into a fraction of all cores
// since the previous reading.
type cpuMeter struct {
	at   time.Time
	used time.Duration
}

func (m *cpuMeter) fraction(now time.Time) float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	used := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	f := 0.0
	if !m.at.IsZero() && now.After(m.at) {
		f = float64(used-m.used) / float64(now.Sub(m.at)) / float64(runtime.NumCPU())
	}
	m.at, m.used = now, used
	return min(max(f, 0), 1)
}
