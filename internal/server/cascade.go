package server

import (
	"net"

	"xphone/configs"
	"xphone/sfu"
	"xphone/web"
)

// startCascade carries rooms across nodes (docs/cluster.md "Rooms across
// nodes"). A single node is a cluster of one: its rooms always host
// themselves and nothing is sent, but the path is the same.
func (s *Server) startCascade(cfg *configs.Config) error {
	cas, err := sfu.NewCascade(roomMediaAddr(cfg.Cluster), s.log.With("part", "cascade"))
	if err != nil {
		return err
	}
	rc, err := web.NewRoomCascade(s.cluster, s.rooms, cas, cfg.Policy.Mixer.TopK, s.log)
	if err != nil {
		cas.Close()
		return err
	}
	s.cascade, s.cascadeSock = rc, cas
	if s.bridges != nil { // a bridged room is dialled by its host only
		s.bridges.SetGate(rc.Hosts)
		rc.OnHosting(s.bridges.Evaluate)
	}
	return nil
}

// stopCascade takes the other nodes' members out of the rooms here.
func (s *Server) stopCascade() {
	if s.cascade != nil {
		s.cascade.Close()
		s.cascadeSock.Close()
	}
}

// roomMediaAddr is where this node takes rooms' media from other nodes.
func roomMediaAddr(c *configs.Cluster) string {
	switch {
	case c == nil:
		return "127.0.0.1:0" // one node: nobody sends to it
	case c.RoomMedia != "":
		return c.RoomMedia
	case len(c.Advertise) > 0:
		if host, _, err := net.SplitHostPort(c.Advertise[0]); err == nil && host != "" {
			return net.JoinHostPort(host, "0")
		}
	}
	return ":0"
}
