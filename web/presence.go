package web

import "xphone/sfu"

// watchPresence sends the tab the presence of the watched PBX phones (the
// whole list, right after hello) and then every change, until the
// returned function stops it; nothing without a presence board.
func (s *Server) watchPresence(t *tab) (stop func()) {
	if s.presence == nil {
		return func() {}
	}
	unsubscribe := s.presence.Subscribe(func(p sfu.Presence) {
		t.send(encode(presenceMsg{Type: "presence", Numbers: []sfu.Presence{p}}))
	})
	if all := s.presence.Snapshot(); len(all) > 0 {
		t.send(encode(presenceMsg{Type: "presence", Numbers: all}))
	}
	return unsubscribe
}
