package server

import (
	"context"

	"xphone/sfu"
	"xphone/siptrunk"
	"xphone/web"
)

// Status implements web.StatusSource for the admin page.
func (s *Server) Status(ctx context.Context) web.Status {
	history := s.History()
	st := web.Status{Started: s.started, Calls: s.calls.Snapshot(), Rooms: s.rooms.Snapshot(ctx), Presence: s.pbxPresence()}
	if list, err := s.listRecordings(); err != nil {
		st.RecordingsError = err.Error()
	} else {
		st.Recordings = list
	}
	for i := len(history) - 1; i >= 0; i-- { // newest first
		e := history[i]
		st.Reloads = append(st.Reloads, web.ReloadView{At: e.At, OK: e.OK, Errors: e.Errors, Applied: e.Applied,
			NeedsRestart: e.NeedsRestart, Removed: e.LoggedOut})
	}
	for _, t := range s.trunks.All() {
		st.Trunks = append(st.Trunks, trunkView(t))
	}
	st.Cluster = s.clusterView(ctx)
	for i := len(history) - 1; i >= 0; i-- {
		if history[i].OK {
			st.NeedsRestart = history[i].NeedsRestart
			break
		}
	}
	return st
}

func trunkView(t *siptrunk.Trunk) web.TrunkView {
	registered, count, lastErr := t.Status()
	v := web.TrunkView{Name: t.Name(), State: "static"}
	holder, standby := t.LeaseHolder()
	switch {
	case !t.Registers():
	case standby:
		v.State, v.Holder = "standby", holder
	case registered:
		v.State, v.Registrations = "registered", count
	case lastErr != nil:
		v.State, v.Error = "not_registered", lastErr.Error()
	default:
		v.State = "registering"
	}
	return v
}

// pbxPresence is the presence of the PBX phones the trunks watch: the board
// without Xphone's own extensions (which feed it too, for the directory).
func (s *Server) pbxPresence() []sfu.Presence {
	store := s.store.Load()
	var out []sfu.Presence
	for _, p := range s.presence.Snapshot() {
		if _, ext := store.Lookup(p.Number); !ext {
			out = append(out, p)
		}
	}
	return out
}

// clusterView lists the cluster's live nodes with their load.
func (s *Server) clusterView(ctx context.Context) web.ClusterView {
	v := web.ClusterView{Self: s.cluster.Self(), Healthy: s.cluster.Healthy()}
	if nodes, err := s.cluster.Nodes(ctx); err != nil {
		v.Error = err.Error()
	} else {
		v.Nodes = nodes
	}
	for i := range v.Nodes { // this node's flag at once, not at its next heartbeat
		if v.Nodes[i].ID == v.Self {
			v.Nodes[i].Draining = s.Draining()
		}
	}
	v.Draining = s.Draining()
	return v
}
