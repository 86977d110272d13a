package server

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"xphone/configs"
	"xphone/sfu"
	"xphone/siptrunk"
	"xphone/web"
)

// newTrunks builds one SIP trunk per configured trunk; permission tells
// each the permission class of a calling extension.
func newTrunks(cfg *configs.Config, permission func(string) string, log *slog.Logger) ([]*siptrunk.Trunk, error) {
	var out []*siptrunk.Trunk
	for _, t := range cfg.Trunks {
		tr, err := siptrunk.New(siptrunk.Config{Trunk: t, Dialplan: cfg.Dialplan, Permission: permission}, nil, log)
		if err != nil {
			return nil, fmt.Errorf("server: trunk %s: %w", t.Name, err)
		}
		out = append(out, tr)
	}
	return out, nil
}

// permission is an extension's outbound permission class ("" = internal).
func (s *Server) permission(number string) string {
	if ext, ok := s.store.Load().Lookup(number); ok {
		return ext.Permission
	}
	return ""
}

// dialers routes extensions to browsers first, outside numbers to trunks.
func (s *Server) dialers(registry *web.Registry) []sfu.Dialer {
	out := []sfu.Dialer{registry}
	for _, t := range s.trunks {
		out = append(out, t)
	}
	return out
}

// startTrunks connects inbound SIP to call control and starts registering.
func (s *Server) startTrunks() error {
	for i, t := range s.trunks {
		t.SetPlacer(s.calls)
		if err := t.Start(); err != nil {
			for _, started := range s.trunks[:i] {
				_ = started.Close(context.Background())
			}
			return fmt.Errorf("server: start trunk: %w", err)
		}
	}
	return nil
}

// stopTrunks hangs up every SIP dialog and unregisters.
func (s *Server) stopTrunks() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, t := range s.trunks {
		if err := t.Close(ctx); err != nil {
			s.log.Warn("trunk close", "err", err)
		}
	}
}

// permit is the toll-fraud check for transfers: a number that leaves
// through a trunk must be allowed for the transferor's permission class.
// Internal numbers (extensions, rooms) are for everyone.
func (s *Server) permit(caller sfu.Identity, number string) error {
	for _, t := range s.trunks {
		if t.Reaches(number) {
			if _, err := t.Allowed(t.PermissionOf(caller.Number), number); err != nil {
				return err // the web layer logs the refusal with the browser's address
			}
			return nil
		}
	}
	return nil
}
