package server

import (
	"time"

	"xphone/configs"
	"xphone/sfu/recorder"
)

// retentionEvery is how often recordings past their retention are deleted.
const retentionEvery = time.Hour

// setRecordingPolicy makes p the policy the retention sweep and the admin
// page follow.
func (s *Server) setRecordingPolicy(p configs.RecordingPolicy) { s.recPolicy.Store(&p) }

// recordings is the current recording directory and retention.
func (s *Server) recordings() (string, time.Duration) {
	p := s.recPolicy.Load()
	return s.recordingDir(*p), p.Retention.D()
}

// pruneRecordings deletes recordings older than the retention (0 keeps them).
func (s *Server) pruneRecordings() {
	dir, keep := s.recordings()
	if keep <= 0 {
		return
	}
	n, err := recorder.Prune(dir, time.Now().Add(-keep))
	if err != nil {
		s.log.Warn("recordings: retention sweep failed", "dir", dir, "err", err)
	}
	if n > 0 {
		s.log.Info("recordings: deleted past their retention", "dir", dir, "count", n, "retention", keep.String())
	}
}

// runRetention sweeps the recordings at start and every retentionEvery
// until the server stops.
func (s *Server) runRetention() {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.pruneRecordings()
		t := time.NewTicker(retentionEvery)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				s.pruneRecordings()
			}
		}
	}()
}

// RecordingFile implements web.RecordingFiles: the path of a recording's
// file by its name, for the admin page's download.
func (s *Server) RecordingFile(name string) (string, error) {
	dir, _ := s.recordings()
	return recorder.Path(dir, name)
}

// listRecordings is the admin page's list, after a retention sweep.
func (s *Server) listRecordings() ([]recorder.Info, error) {
	s.pruneRecordings()
	dir, _ := s.recordings()
	return recorder.List(dir)
}
