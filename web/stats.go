package web

import "sync/atomic"

// Stats counts what the web side does, for metrics.
type Stats struct {
	LoginsOK     atomic.Uint64
	LoginsFailed atomic.Uint64
	LoginsLocked atomic.Uint64
	TabsOpen     atomic.Int64
	// WebSocket guards (docs/security.md).
	WSOriginRefused atomic.Uint64 // upgrades refused for a missing or foreign Origin
	WSRateLimited   atomic.Uint64 // tabs closed for sending too fast
	WSTooBig        atomic.Uint64 // tabs closed for an oversized message
	MetricsRefused  atomic.Uint64 // /metrics requests without the right token
	// Per-extension caps reached.
	LimitTabs     atomic.Uint64 // tabs refused
	LimitCalls    atomic.Uint64 // dials and accepts refused
	LimitSessions atomic.Uint64 // least recently used sessions ended by a new login
}
