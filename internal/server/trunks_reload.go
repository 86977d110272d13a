package server

import (
	"fmt"
	"reflect"
	"slices"

	"xphone/configs"
	"xphone/sfu"
	"xphone/siptrunk"
)

// reloadTrunks applies changed trunks and dial plan live:
//   - a removed trunk unregisters and its calls are hung up (BYE; our
//     side sees the reason "trunk_unavailable");
//   - a changed trunk is replaced: the old one is closed first (its calls
//     end, since the new one usually needs the same SIP socket), then the
//     new one starts and registers;
//   - an added trunk starts and registers;
//   - a dial plan or transit change alone is in the new toll-fraud gate
//     (Reload builds it first) without touching calls.
//
// It returns what it did, for the reload log; a trunk that fails to start
// is reported and left out, the others keep running.
func (s *Server) reloadTrunks(old, cfg *configs.Config) (applied []string, errs []string) {
	s.setGate(cfg)
	running := s.trunks.All()
	byName := map[string]configs.Trunk{}
	for _, tc := range cfg.Trunks {
		byName[tc.Name] = tc
	}
	var keep, stop []*siptrunk.Trunk
	for _, t := range running {
		if tc, ok := byName[t.Name()]; ok && reflect.DeepEqual(tc, t.Config()) {
			keep = append(keep, t) // the new dial plan is in the gate
			continue
		}
		stop = append(stop, t)
		applied = append(applied, "trunk "+t.Name()+" stopped")
	}
	closeTrunks(stop, sfu.ReasonTrunkUnavailable, "config reload", s.log)
	for _, tc := range cfg.Trunks {
		if slices.ContainsFunc(keep, func(t *siptrunk.Trunk) bool { return t.Name() == tc.Name }) {
			continue
		}
		t, err := s.startTrunk(tc)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		keep = append(keep, t)
		applied = append(applied, "trunk "+tc.Name+" started")
	}
	s.trunks.set(keep)
	if !reflect.DeepEqual(old.Dialplan, cfg.Dialplan) {
		applied = append(applied, "dialplan")
	}
	if !reflect.DeepEqual(old.Transit, cfg.Transit) {
		applied = append(applied, "transit")
	}
	s.log.Info("SIP trunks reloaded", "changes", fmt.Sprint(applied), "errors", len(errs))
	return applied, errs
}
