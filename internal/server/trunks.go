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

// newTrunk builds one SIP trunk deciding outbound calls with the
// server's toll-fraud gate; its registration is a lease of the cluster
// (always granted to a single node), so one node of several registers it.
func newTrunk(tc configs.Trunk, gate func() *siptrunk.Gate, leases siptrunk.Leases, log *slog.Logger) (*siptrunk.Trunk, error) {
	tr, err := siptrunk.New(siptrunk.Config{Trunk: tc, Gate: gate, Leases: leases}, nil, log)
	if err != nil {
		return nil, fmt.Errorf("server: trunk %s: %w", tc.Name, err)
	}
	return tr, nil
}

// setGate builds the toll-fraud gate for cfg (start and every reload):
// the dial plan, transit rules and refer permissions are fixed in it;
// extension classes, bridge classes and local numbers are looked up live.
func (s *Server) setGate(cfg *configs.Config) {
	refer := map[string]string{}
	for _, t := range cfg.Trunks {
		refer[t.Name] = t.ReferPermission
	}
	s.gate.Store(siptrunk.NewGate(siptrunk.GateConfig{Dialplan: cfg.Dialplan, Transit: cfg.Transit,
		ReferPermission: refer, Extension: s.extensionClass, Room: s.roomClass, Local: s.local}))
}

// extensionClass is an extension's outbound permission class ("" = internal).
func (s *Server) extensionClass(number string) string {
	if ext, ok := s.store.Load().Lookup(number); ok {
		return ext.Permission
	}
	return ""
}

// roomClass is a bridged room's bridge permission class ("" = internal).
func (s *Server) roomClass(number string) string {
	if p := s.bridgePerms.Load(); p != nil {
		return (*p)[number]
	}
	return ""
}

// local reports whether number is an extension or a room: local numbers
// win over dial rules.
func (s *Server) local(number string) bool {
	if _, ok := s.store.Load().Lookup(number); ok {
		return true
	}
	return s.rooms != nil && s.rooms.Reaches(number)
}

// startTrunks builds and starts the configured trunks: inbound SIP goes
// to call control, registrations begin.
func (s *Server) startTrunks(cfg *configs.Config) error {
	var started []*siptrunk.Trunk
	for _, tc := range cfg.Trunks {
		t, err := s.startTrunk(tc)
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
func (s *Server) startTrunk(tc configs.Trunk) (*siptrunk.Trunk, error) {
	t, err := newTrunk(tc, s.gate.Load, s.cluster, s.log)
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
	closeTrunks(s.trunks.All(), sfu.ReasonServerRestart, "shutdown", s.log)
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

// permit is call control's toll-fraud check for transfers: a number that
// leaves through a trunk must pass the gate (the trunk's Dial decides
// again). Local numbers and numbers no rule routes are not its business.
func (s *Server) permit(req sfu.DialRequest) error {
	g := s.gate.Load()
	if _, ok := g.Route(req.To); !ok {
		return nil
	}
	_, err := g.Decide(req) // the web layer logs a browser's refusal with its address
	return err
}

// dialNode is the node a browser's call to number must be anchored on:
// the registering node of the trunk the number routes to, when that trunk
// has dial_from_registered_contact and another node registers it; ""
// means this node (rooms and extensions are never routed so).
func (s *Server) dialNode(number string) string {
	if s.rooms.Reaches(number) || s.registry.Reaches(number) {
		return ""
	}
	if t := s.trunks.route(number); t != nil {
		return t.DialNode()
	}
	return ""
}
