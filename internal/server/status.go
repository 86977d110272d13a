package server

import (
	"context"

	"xphone/web"
)

// Status implements web.StatusSource for the admin page.
func (s *Server) Status(ctx context.Context) web.Status {
	history := s.History()
	st := web.Status{Started: s.started, Calls: s.calls.Snapshot(), Rooms: s.rooms.Snapshot(ctx)}
	for i := len(history) - 1; i >= 0; i-- { // newest first
		e := history[i]
		st.Reloads = append(st.Reloads, web.ReloadView{At: e.At, OK: e.OK, Errors: e.Errors, Applied: e.Applied,
			NeedsRestart: e.NeedsRestart, Removed: e.LoggedOut})
	}
	for i := len(history) - 1; i >= 0; i-- {
		if history[i].OK {
			st.NeedsRestart = history[i].NeedsRestart
			break
		}
	}
	return st
}
