package sfu

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/pion/logging"
)

// pionLogs routes pion's logging into the server's slog logger, one shared
// logger per scope. pion's default factory builds five log.Loggers per
// scope per PeerConnection (about 8 KiB a leg) and writes them to stderr
// in its own format, outside the structured log.
//
// pion's levels are shifted down: its Error is for things a server sees
// routinely (a peer vanishing mid-handshake), so it becomes a warning; its
// Warn and Info are debug output; its Debug and Trace (whole structs per
// track) go below debug, where only a handler asked for them shows them.
type pionLogs struct {
	log     *slog.Logger
	mu      sync.Mutex
	byScope map[string]*pionLogger
}

func newPionLogs(log *slog.Logger) *pionLogs {
	return &pionLogs{log: log, byScope: map[string]*pionLogger{}}
}

// NewLogger returns the shared logger of a pion scope ("ice", "dtls", …).
func (f *pionLogs) NewLogger(scope string) logging.LeveledLogger {
	f.mu.Lock()
	defer f.mu.Unlock()
	l, ok := f.byScope[scope]
	if !ok {
		l = &pionLogger{log: f.log.With("pion", scope)}
		f.byScope[scope] = l
	}
	return l
}

// pionLogger adapts one pion scope to slog.
type pionLogger struct{ log *slog.Logger }

func (l *pionLogger) emit(level slog.Level, msg string) {
	l.log.Log(context.Background(), level, msg)
}

func (l *pionLogger) emitf(level slog.Level, format string, args ...any) {
	if l.log.Enabled(context.Background(), level) {
		l.emit(level, fmt.Sprintf(format, args...))
	}
}

// levelPionDebug is below slog's debug level.
const levelPionDebug = slog.LevelDebug - 4

func (l *pionLogger) Trace(msg string)                  { l.emit(levelPionDebug, msg) }
func (l *pionLogger) Tracef(format string, args ...any) { l.emitf(levelPionDebug, format, args...) }
func (l *pionLogger) Debug(msg string)                  { l.emit(levelPionDebug, msg) }
func (l *pionLogger) Debugf(format string, args ...any) { l.emitf(levelPionDebug, format, args...) }
func (l *pionLogger) Info(msg string)                   { l.emit(slog.LevelDebug, msg) }
func (l *pionLogger) Infof(format string, args ...any)  { l.emitf(slog.LevelDebug, format, args...) }
func (l *pionLogger) Warn(msg string)                   { l.emit(slog.LevelDebug, msg) }
func (l *pionLogger) Warnf(format string, args ...any)  { l.emitf(slog.LevelDebug, format, args...) }
func (l *pionLogger) Error(msg string)                  { l.emit(slog.LevelWarn, msg) }
func (l *pionLogger) Errorf(format string, args ...any) { l.emitf(slog.LevelWarn, format, args...) }
