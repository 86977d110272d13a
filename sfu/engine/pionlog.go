package engine

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/pion/logging"
)

// pionLog routes pion/dtls's logging into the engine's slog logger. pion's
// default factory writes to stderr outside the structured log and builds
// loggers per connection. Its Error is what a server sees routinely (a
// browser vanishing mid-handshake), so it becomes a warning; the rest is
// debug output. Callers with their own factory set Config.PionLogs.
type pionLog struct{ log *slog.Logger }

// NewLogger implements logging.LoggerFactory: one logger for every scope.
func (p pionLog) NewLogger(scope string) logging.LeveledLogger {
	return pionLogger{p.log.With("pion", scope)}
}

type pionLogger struct{ log *slog.Logger }

func (l pionLogger) at(level slog.Level, msg string) {
	l.log.Log(context.Background(), level, msg)
}

func (l pionLogger) atf(level slog.Level, format string, args ...any) {
	if l.log.Enabled(context.Background(), level) {
		l.log.Log(context.Background(), level, fmt.Sprintf(format, args...))
	}
}

// traceLevel is below slog's debug: pion's trace output is per record.
const traceLevel = slog.LevelDebug - 4

func (l pionLogger) Trace(msg string)                  { l.at(traceLevel, msg) }
func (l pionLogger) Tracef(format string, args ...any) { l.atf(traceLevel, format, args...) }
func (l pionLogger) Debug(msg string)                  { l.at(traceLevel, msg) }
func (l pionLogger) Debugf(format string, args ...any) { l.atf(traceLevel, format, args...) }
func (l pionLogger) Info(msg string)                   { l.at(slog.LevelDebug, msg) }
func (l pionLogger) Infof(format string, args ...any)  { l.atf(slog.LevelDebug, format, args...) }
func (l pionLogger) Warn(msg string)                   { l.at(slog.LevelDebug, msg) }
func (l pionLogger) Warnf(format string, args ...any)  { l.atf(slog.LevelDebug, format, args...) }
func (l pionLogger) Error(msg string)                  { l.at(slog.LevelWarn, msg) }
func (l pionLogger) Errorf(format string, args ...any) { l.atf(slog.LevelWarn, format, args...) }
