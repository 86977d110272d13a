package siptrunk

import (
	"log/slog"
	"net/netip"
	"sync"
	"time"
)

// summaryLogInterval is how often a source that keeps sending gets one
// summary line.
const summaryLogInterval = time.Minute

// maxLoggedSources bounds the sources tracked per interval: spoofed
// floods from many addresses add one "more sources" line instead.
const maxLoggedSources = 256

// summaryLog logs events per source rate-limited: the first event of a
// source logs one line at once (messages=1); later ones are counted and
// flush logs one summary line per source that sent more in the interval.
// Nothing of the message itself is logged.
type summaryLog struct {
	log  *slog.Logger
	msg  string
	args []any // fixed attributes after remote (trunk, …)

	mu      sync.Mutex
	sources map[netip.Addr]*sourceCount
	others  int // events from sources beyond maxLoggedSources
}

type sourceCount struct {
	n      int
	reason string
}

func newSummaryLog(log *slog.Logger, msg string, args ...any) *summaryLog {
	return &summaryLog{log: log, msg: msg, args: args, sources: map[netip.Addr]*sourceCount{}}
}

// event records one event from src (reason: a fixed word, never input).
func (s *summaryLog) event(src netip.Addr, reason string) {
	s.mu.Lock()
	c := s.sources[src]
	switch {
	case c != nil:
		c.n++
		c.reason = reason
		s.mu.Unlock()
		return
	case len(s.sources) >= maxLoggedSources:
		s.others++
		s.mu.Unlock()
		return
	}
	s.sources[src] = &sourceCount{}
	s.mu.Unlock()
	s.line(src, 1, reason)
}

// flush logs the interval's summaries and forgets sources that were
// quiet; run by the trunk every summaryLogInterval.
func (s *summaryLog) flush() {
	type line struct {
		src    netip.Addr
		n      int
		reason string
	}
	var lines []line
	s.mu.Lock()
	for src, c := range s.sources {
		if c.n == 0 {
			delete(s.sources, src)
			continue
		}
		lines = append(lines, line{src, c.n, c.reason})
		c.n = 0
	}
	others := s.others
	s.others = 0
	s.mu.Unlock()
	for _, l := range lines {
		s.line(l.src, l.n, l.reason)
	}
	if others > 0 {
		s.log.Warn(s.msg+" (more sources than logged)", append([]any{"messages", others}, s.args...)...)
	}
}

func (s *summaryLog) line(src netip.Addr, n int, reason string) {
	args := append([]any{"remote", src.String()}, s.args...)
	s.log.Warn(s.msg, append(args, "messages", n, "reason", reason)...)
}
