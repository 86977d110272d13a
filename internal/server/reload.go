package server

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"sync"
	"time"

	"xphone/configs"
	"xphone/web/auth"
)

// ReloadEntry is one configuration reload, for the log and the status page.
type ReloadEntry struct {
	At           time.Time `json:"at"`
	OK           bool      `json:"ok"`
	Errors       []string  `json:"errors,omitempty"`        // why the file was refused
	Applied      []string  `json:"applied,omitempty"`       // sections applied live
	NeedsRestart []string  `json:"needs_restart,omitempty"` // sections changed that only a restart applies
	LoggedOut    []string  `json:"logged_out,omitempty"`    // extensions removed or disabled
}

// maxHistory is how many reloads the status page remembers.
const maxHistory = 20

// reloads keeps the reload history and serialises reloads.
type reloads struct {
	mu      sync.Mutex
	history []ReloadEntry
}

// ReloadFile reads, validates and applies path. An invalid file changes
// nothing; every problem is logged with its key path.
func (s *Server) ReloadFile(path string) ReloadEntry {
	cfg, err := configs.Load(path)
	if err != nil {
		e := ReloadEntry{At: time.Now(), Errors: problemList(err)}
		s.log.Error("config reload refused; keeping the running config", "file", path, "problems", len(e.Errors))
		for _, p := range e.Errors {
			s.log.Error("config problem", "problem", p)
		}
		s.record(e)
		return e
	}
	return s.Reload(cfg)
}

func problemList(err error) []string {
	var ve *configs.ValidationError
	if errors.As(err, &ve) {
		out := make([]string, 0, len(ve.Problems))
		for _, p := range ve.Problems {
			out = append(out, p.String())
		}
		return out
	}
	return []string{err.Error()}
}

// Reload applies a validated config: extensions, rooms, policy, call
// settings, limits, trunks and the dial plan live (see reloadTrunks for which
// calls a trunk change ends); the rest is reported as needing a restart.
func (s *Server) Reload(cfg *configs.Config) ReloadEntry {
	s.reloads.mu.Lock()
	defer s.reloads.mu.Unlock()
	old := s.cfg
	e := ReloadEntry{At: time.Now(), OK: true, NeedsRestart: restartSections(old, cfg)}
	if !reflect.DeepEqual(old.Extensions, cfg.Extensions) {
		store, err := auth.NewStore(cfg.Extensions, s.dataDir, s.log, s.authOpts...)
		if err != nil {
			e.OK, e.Errors = false, []string{err.Error()}
			s.record(e)
			return e
		}
		s.store.Store(store)
		e.LoggedOut = s.web.SetExtensions(store)
		e.Applied = append(e.Applied, "extensions")
	}
	if !reflect.DeepEqual(old.Extensions, cfg.Extensions) || !reflect.DeepEqual(old.Rooms, cfg.Rooms) {
		s.desk.SetDirectory(cfg.Extensions, cfg.Rooms)
	}
	if old.History != cfg.History {
		s.desk.SetHistoryLimits(cfg.History)
		e.Applied = append(e.Applied, "history")
	}
	if !reflect.DeepEqual(old.Rooms, cfg.Rooms) || !reflect.DeepEqual(old.Policy, cfg.Policy) ||
		!reflect.DeepEqual(old.Extensions, cfg.Extensions) { // admins moderate every room
		s.setRecordingPolicy(cfg.Policy.Recording)
		s.rooms.Update(roomSpecs(cfg.Rooms), s.conferenceConfig(cfg.Policy))
		s.setBridges(cfg.Rooms)
		e.Applied = append(e.Applied, "rooms", "policy")
	}
	if !reflect.DeepEqual(old.Trunks, cfg.Trunks) || !reflect.DeepEqual(old.Dialplan, cfg.Dialplan) ||
		!reflect.DeepEqual(old.Transit, cfg.Transit) {
		applied, errs := s.reloadTrunks(old, cfg)
		e.Applied = append(e.Applied, applied...)
		e.Errors = append(e.Errors, errs...)
	}
	if old.Limits != cfg.Limits {
		s.web.SetLimits(cfg.Limits)
		e.Applied = append(e.Applied, "limits")
	}
	if old.Calls != cfg.Calls {
		s.calls.SetNoAnswerTimeout(cfg.Calls.NoAnswerTimeout.D())
		s.media.SetLiveness(liveness(cfg.Calls))
		e.Applied = append(e.Applied, "calls")
	}
	s.setGate(cfg) // extensions, rooms and trunks may have changed too
	s.cfg = keepRestartSections(old, cfg)
	logWarnings(cfg, s.log)
	s.logReload(e)
	s.record(e)
	return e
}

// restartSections names the changed sections a running server cannot apply.
func restartSections(old, cfg *configs.Config) []string {
	var out []string
	checks := []struct {
		name string
		a, b any
	}{
		{"xphone", old.Xphone, cfg.Xphone}, {"http", old.HTTP, cfg.HTTP}, {"media", old.Media, cfg.Media},
		{"login", old.Login, cfg.Login}, {"log", old.Log, cfg.Log}, {"metrics", old.Metrics, cfg.Metrics},
		{"calls.call_waiting", old.Calls.CallWaiting, cfg.Calls.CallWaiting}, {"cluster", old.Cluster, cfg.Cluster},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.a, c.b) {
			out = append(out, c.name)
		}
	}
	return out
}

// keepRestartSections is cfg with the sections that were not applied kept
// as they run, so a later reload reports them again.
func keepRestartSections(old, cfg *configs.Config) *configs.Config {
	next := *cfg
	next.Xphone, next.HTTP, next.Media, next.Login, next.Log = old.Xphone, old.HTTP, old.Media, old.Login, old.Log
	next.Metrics = old.Metrics
	next.Calls.CallWaiting = old.Calls.CallWaiting
	next.Cluster = old.Cluster
	return &next
}

func (s *Server) logReload(e ReloadEntry) {
	s.log.Info("config reloaded", "applied", fmt.Sprint(e.Applied), "logged_out", fmt.Sprint(e.LoggedOut))
	if len(e.NeedsRestart) > 0 {
		s.log.Warn("config changes need a restart; restarting drops every current call",
			"sections", fmt.Sprint(e.NeedsRestart), "calls", len(s.calls.Snapshot()))
	}
}

func (s *Server) record(e ReloadEntry) {
	s.reloads.history = append(s.reloads.history, e)
	if len(s.reloads.history) > maxHistory {
		s.reloads.history = s.reloads.history[1:]
	}
}

// History returns the recent reloads, oldest first.
func (s *Server) History() []ReloadEntry {
	s.reloads.mu.Lock()
	defer s.reloads.mu.Unlock()
	return append([]ReloadEntry(nil), s.reloads.history...)
}

// WatchConfig reloads path whenever its modification time changes,
// checking every interval, until Close.
func (s *Server) WatchConfig(path string, interval time.Duration) {
	info, _ := os.Stat(path)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		tick := time.NewTicker(interval)
		defer tick.Stop()
		last := modTime(info)
		for {
			select {
			case <-s.stop:
				return
			case <-tick.C:
			}
			info, err := os.Stat(path)
			if err != nil || modTime(info).Equal(last) {
				continue
			}
			last = modTime(info)
			s.log.Info("config file changed", "file", path)
			s.ReloadFile(path)
		}
	}()
}

func modTime(info os.FileInfo) time.Time {
	if info == nil {
		return time.Time{}
	}
	return info.ModTime()
}
