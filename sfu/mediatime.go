package sfu

import "time"

// monoEpoch anchors monoNow; only differences of monoNow mean anything.
var monoEpoch = time.Now()

// monoNow is a monotonic clock reading in nanoseconds, cheap enough to take
// once per forwarded packet.
func monoNow() int64 { return int64(time.Since(monoEpoch)) }

// opusSamples is the media an Opus packet carries, in 48 kHz samples (RFC
// 6716 §3.1: the TOC byte's configuration gives the frame size, its code
// the frame count); 0 when it cannot tell.
func opusSamples(payload []byte) uint32 {
	if len(payload) == 0 {
		return 0
	}
	toc := payload[0]
	config := toc >> 3
	var frame uint32
	switch {
	case config < 12: // SILK: 10, 20, 40, 60 ms
		frame = [4]uint32{480, 960, 1920, 2880}[config&3]
	case config < 16: // Hybrid: 10, 20 ms
		frame = [2]uint32{480, 960}[config&1]
	default: // CELT: 2.5, 5, 10, 20 ms
		frame = [4]uint32{120, 240, 480, 960}[config&3]
	}
	switch toc & 3 {
	case 0:
		return frame
	case 1, 2:
		return 2 * frame
	}
	if len(payload) < 2 {
		return 0
	}
	return uint32(payload[1]&0x3f) * frame
}
