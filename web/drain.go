package web

// Draining (docs/cluster.md, "Drain"): a node being stopped takes no new
// calls or rooms, while the calls and rooms it has go on and its users can
// still be rung by callers on other nodes.

// refusedDraining refuses a dial on a draining node.
const refusedDraining refusal = "draining"

// SetDraining makes /readyz answer 503 "draining" and refuses new dials
// (true), or takes them again (false).
func (s *Server) SetDraining(on bool) { s.draining.Store(on) }

// Draining reports whether SetDraining(true) is in force.
func (s *Server) Draining() bool { return s.draining.Load() }

// refuseDraining refuses a dial of t while the node drains; true when it
// did. The call would be anchored here, and this node is going away.
func (t *tab) refuseDraining(req string) bool {
	if !t.srv.draining.Load() {
		return false
	}
	t.sendRefused(req, refusedDraining, "this server is shutting down and takes no new calls")
	return true
}

// CallsAnchoredElsewhere counts this node's tabs' calls whose media another
// node anchors: they need this node's signalling until they end.
func (r *Registry) CallsAnchoredElsewhere() int {
	if r.x == nil {
		return 0
	}
	r.x.mu.Lock()
	defer r.x.mu.Unlock()
	return len(r.x.homes)
}
