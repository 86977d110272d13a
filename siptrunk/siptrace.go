package siptrunk

import (
	"sync"

	"github.com/emiago/sipgo/sip"
)

// sipgo v1.7.3 has one place that sees every SIP message read or written
// on every transport: its package-wide debug tracer. We install it once
// and hand each message to the trunk that owns the local address (our
// listening socket) or, for TCP/TLS connections we opened from an
// ephemeral port, the remote address (the trunk's peer).
func init() {
	sip.SIPDebug = true
	sip.SIPDebugTracer(tracer{})
}

// wire maps "host:port" to the message counters of the trunk there.
var wire struct {
	mu    sync.RWMutex
	addrs map[string]*MessageStats
}

// traceAddrs counts messages on addrs into stats.
func traceAddrs(stats *MessageStats, addrs ...string) {
	wire.mu.Lock()
	defer wire.mu.Unlock()
	if wire.addrs == nil {
		wire.addrs = map[string]*MessageStats{}
	}
	for _, a := range addrs {
		wire.addrs[a] = stats
	}
}

// untraceAddrs stops counting addrs into stats (a replacement trunk on the
// same addresses keeps its own registration).
func untraceAddrs(stats *MessageStats, addrs ...string) {
	wire.mu.Lock()
	defer wire.mu.Unlock()
	for _, a := range addrs {
		if wire.addrs[a] == stats {
			delete(wire.addrs, a)
		}
	}
}

func statsFor(laddr, raddr string) *MessageStats {
	wire.mu.RLock()
	defer wire.mu.RUnlock()
	if s := wire.addrs[laddr]; s != nil {
		return s
	}
	return wire.addrs[raddr]
}

// tracer implements sip.SIPTracer.
type tracer struct{}

func (tracer) SIPTraceRead(_, laddr, raddr string, msg []byte) {
	if s := statsFor(laddr, raddr); s != nil {
		s.count(msg, true)
	}
}

func (tracer) SIPTraceWrite(_, laddr, raddr string, msg []byte) {
	if s := statsFor(laddr, raddr); s != nil {
		s.count(msg, false)
	}
}
