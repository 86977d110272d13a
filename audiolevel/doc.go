// Package audiolevel reads and computes audio levels on the RFC 6464 scale
// (0 = loudest, 127 = silence, in −dBov) and decides who is speaking in a
// room. It is pure: no I/O, no goroutines, time passed in by the caller.
//
// Levels come from the RFC 6464 header extension (ParseExtension) or, for
// legs that do not send it, from decoded audio (FromPCM).
//
// Each participant has a Meter. Their RTP read loop calls Meter.Observe for
// every audio packet; it neither blocks nor allocates. The room's ticker
// calls Meter.Snapshot for every participant and passes the results to its
// Detector's Decide (every 20 ms recommended), which returns the dominant
// speaker to frame and who started or stopped speaking; the room tells the
// clients only when Decision.Changed. Params carry the tunables (the config's
// policy.speaker) and can be changed live with SetParams.
package audiolevel
