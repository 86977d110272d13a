package server

import (
	"context"
	"time"

	"xphone/web"
)

// drainPoll is how often a draining node looks whether its calls and
// rooms have ended.
const drainPoll = 250 * time.Millisecond

// Drain takes this node out of service gently (docs/cluster.md, "Drain"):
// the cluster hears it drains (other nodes and the admin page see it),
// /readyz answers 503 "draining" so the load balancer sends no new users,
// and new calls and rooms are refused here with reason "draining"; calls,
// rooms and rings already up go on. It returns true once none is left,
// false when server.drain_grace has passed first (0: at once) or stop
// closes (a second signal). Close does the rest of the shutdown.
func (s *Server) Drain(stop <-chan struct{}) bool {
	s.stopping.Store(true)
	s.reloads.mu.Lock()
	grace := s.cfg.Server.DrainGrace.D()
	s.reloads.mu.Unlock()
	if grace <= 0 {
		return s.idle()
	}
	s.setDraining(true)
	s.log.Info("draining: no new calls or rooms", "grace", grace, "calls", len(s.calls.Snapshot()))
	deadline := s.after(grace)
	tick := time.NewTicker(drainPoll)
	defer tick.Stop()
	for !s.idle() {
		select {
		case <-stop:
			s.log.Warn("draining: stopped at once by a second signal")
			return false
		case <-deadline:
			s.log.Warn("draining: grace over, ending what is left", "grace", grace, "calls", len(s.calls.Snapshot()))
			return false
		case <-tick.C:
		}
	}
	s.log.Info("draining: no call or room left")
	return true
}

// setDraining publishes the state to the cluster, /readyz, dials and
// /metrics (xphone_draining).
func (s *Server) setDraining(on bool) {
	s.draining.Store(on)
	s.cluster.SetDraining(on)
	s.web.SetDraining(on)
}

// SetAdminDrain implements web.Drainer: an admin drains this node as
// SIGTERM does but without stopping it (true), or takes it back into
// service (false); a drain SIGTERM began cannot be cancelled.
func (s *Server) SetAdminDrain(on bool) error {
	if !on && s.stopping.Load() {
		return web.ErrShuttingDown
	}
	s.setDraining(on)
	return nil
}

// Draining reports whether Drain has begun or an admin drains the node.
func (s *Server) Draining() bool { return s.draining.Load() }

// idle is true when this node has no call (ringing or connected), nobody in
// a room, and no tab in a call anchored on another node.
func (s *Server) idle() bool {
	if len(s.calls.Snapshot()) > 0 || s.registry.CallsAnchoredElsewhere() > 0 {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	for _, r := range s.rooms.Snapshot(ctx) {
		if len(r.Members) > 0 {
			return false
		}
	}
	return true
}
