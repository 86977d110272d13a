// Package bwe estimates how much a viewer's downlink carries, from the
// transport-wide congestion-control feedback (TWCC) its browser sends
// about the packets the server sent it: a send-side estimate, as browsers
// that negotiate transport-cc send no REMB.
//
// The server stamps every packet to a browser with a transport-wide
// sequence number and notes its send time and size (History); the
// browser reports when each arrived (or that it did not). From that the
// Estimator sees what the link delivered (the acknowledged rate), whether
// a queue is building (the growth of one-way delay over its minimum) and
// the loss, and sets its estimate like a simplified GCC: down to below the
// acknowledged rate when a queue builds or loss is high, holding at
// moderate loss, and growing multiplicatively while the path is clear.
// Until it has seen congestion it reports no estimate (no limit), so
// viewers on a good link never wait for a ramp-up.
package bwe
