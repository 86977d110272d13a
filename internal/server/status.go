package server

import (
	"context"
	"fmt"

	"xphone/siptrunk"
	"xphone/web"
)

// Status implements web.StatusSource for the admin page.
func (s *Server) Status(ctx context.Context) web.Status {
	history := s.History()
	st := web.Status{Started: s.started, Calls: s.calls.Snapshot(), Rooms: s.rooms.Snapshot(ctx), Presence: s.presence.Snapshot()}
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
	state := "static peer"
	switch {
	case !t.Registers():
	case registered:
		state = fmt.Sprintf("registered (%d registrations)", count)
	case lastErr != nil:
		state = "not registered: " + lastErr.Error()
	default:
		state = "registering"
	}
	return web.TrunkView{Name: t.Name(), State: state}
}
