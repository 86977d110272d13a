package server

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"xphone/configs"
	"xphone/sfu"
	"xphone/siptrunk"
)

// trunkSet is the running trunks. Reload replaces members while calls
// are placed, so readers take a snapshot.
type trunkSet struct {
	mu   sync.RWMutex
	list []*siptrunk.Trunk
}

// All is a snapshot of the running trunks.
func (ts *trunkSet) All() []*siptrunk.Trunk {
	ts.mu.RLock()
	defer ts.mu.RUnlock()
	return append([]*siptrunk.Trunk(nil), ts.list...)
}

func (ts *trunkSet) set(list []*siptrunk.Trunk) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.list = list
}

// Reaches implements sfu.Dialer: some running trunk takes number.
func (ts *trunkSet) Reaches(number string) bool { return ts.route(number) != nil }

// Dial implements sfu.Dialer through the trunk the dial plan picks now.
func (ts *trunkSet) Dial(ctx context.Context, req sfu.DialRequest) (sfu.Leg, error) {
	t := ts.route(req.To)
	if t == nil {
		return nil, fmt.Errorf("%w: no trunk for %s", sfu.ErrUnavailable, req.To)
	}
	return t.Dial(ctx, req)
}

func (ts *trunkSet) route(number string) *siptrunk.Trunk {
	for _, t := range ts.All() {
		if t.Reaches(number) {
			return t
		}
	}
	return nil
}

// newTrunk builds one SIP trunk; permission tells it the permission
// class of a calling extension.
func newTrunk(tc configs.Trunk, plan []configs.DialRule, permission func(string) string, log *slog.Logger) (*siptrunk.Trunk, error) {
	tr, err := siptrunk.New(siptrunk.Config{Trunk: tc, Dialplan: plan, Permission: permission}, nil, log)
	if err != nil {
		return nil, fmt.Errorf("server: trunk %s: %w", tc.Name, err)
	}
	return tr, nil
}

// permission is an extension's outbound permission class ("" = internal),
// or a bridged room's bridge permission.
func (s *Server) permission(number string) string {
	if ext, ok := s.store.Load().Lookup(number); ok {
		return ext.Permission
	}
	if p := s.bridgePerms.Load(); p != nil {
		return (*p)[number]
	}
	return ""
}

// startTrunks builds and starts the configured trunks: inbound SIP goes
// to call control, registrations begin.
func (s *Server) startTrunks(cfg *configs.Config) error {
	var started []*siptrunk.Trunk
	for _, tc := range cfg.Trunks {
		t, err := s.startTrunk(tc, cfg.Dialplan)
		if err != nil {
			closeTrunks(started, sfu.ReasonHangup, "startup failed", s.log)
			return err
		}
		started = append(started, t)
	}
	s.trunks.set(started)
	return nil
}

// startTrunk builds and starts one trunk.
func (s *Server) startTrunk(tc configs.Trunk, plan []configs.DialRule) (*siptrunk.Trunk, error) {
	t, err := newTrunk(tc, plan, s.permission, s.log)
	if err != nil {
		return nil, err
	}
	t.SetPlacer(s.calls)
	t.SetPresenceBoard(s.presence)
	if err := t.Start(); err != nil {
		return nil, fmt.Errorf("server: start trunk %s: %w", tc.Name, err)
	}
	return t, nil
}

// stopTrunks hangs up every SIP dialog and unregisters.
func (s *Server) stopTrunks() {
	closeTrunks(s.trunks.All(), sfu.ReasonHangup, "shutdown", s.log)
	s.trunks.set(nil)
}

// closeTrunks sends BYE on every dialog of trunks and unregisters them;
// the calls end with reason.
func closeTrunks(trunks []*siptrunk.Trunk, reason sfu.Reason, why string, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, t := range trunks {
		log.Info("SIP trunk stopping; its calls are hung up", "trunk", t.Name(), "why", why)
		if err := t.CloseWithReason(ctx, reason); err != nil {
			log.Warn("trunk close", "trunk", t.Name(), "err", err)
		}
	}
}

// permit is the toll-fraud check for transfers: a number that leaves
// through a trunk must be allowed for the transferor's permission class.
// Internal numbers (extensions, rooms) are for everyone.
func (s *Server) permit(caller sfu.Identity, number string) error {
	if t := s.trunks.route(number); t != nil {
		if _, err := t.Allowed(t.PermissionOf(caller.Number), number); err != nil {
			return err // the web layer logs the refusal with the browser's address
		}
	}
	return nil
}
