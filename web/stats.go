package web

import "sync/atomic"

// Stats counts what the web side does, for metrics.
type Stats struct {
	LoginsOK     atomic.Uint64
	LoginsFailed atomic.Uint64
	LoginsLocked atomic.Uint64
	TabsOpen     atomic.Int64
}
