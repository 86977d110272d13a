package sfu

import "time"

// monoEpoch anchors monoNow; only differences of monoNow mean anything.
var monoEpoch = time.Now()

// monoNow is a monotonic clock reading in nanoseconds, cheap enough to take
// once per forwarded packet.
func monoNow() int64 { return int64(time.Since(monoEpoch)) }
