package siptrunk

import (
	"net/netip"
	"time"

	"github.com/emiago/sipgo/sip"
)

// The trunk's side of the front door: building it from the config, the
// per-source new-call limit, and the summary logs' clock.

// newFrontDoor builds the trunk's front door from its allowed sources and
// rate_limit.messages (and the new-call limiter from rate_limit.calls).
func (t *Trunk) newFrontDoor() *frontDoor {
	rate := t.cfg.Trunk.RateLimit.Messages
	if rate <= 0 {
		rate = defaultMessageRate
	}
	calls := t.cfg.Trunk.RateLimit.Calls
	if calls <= 0 {
		calls = defaultCallRate
	}
	t.calls = newRateLimiter(calls, 2*calls, func() time.Time { return t.now() })
	name := t.cfg.Trunk.Name
	return &frontDoor{
		allowed:   t.addrAllowed,
		msgs:      newRateLimiter(rate, 2*rate, func() time.Time { return t.now() }),
		parser:    sip.NewParser(),
		stats:     &t.Stats,
		strangers: newSummaryLog(t.security, "security: SIP from a source not allowed", "trunk", name),
		peers:     newSummaryLog(t.log, "SIP from an allowed source refused"),
	}
}

// allowCall applies rate_limit.calls to a new INVITE's source: a looping
// PBX gets 503 Retry-After instead of a call per message. It runs after
// sipgo's transaction layer, so retransmissions cost no token.
func (t *Trunk) allowCall(req *sip.Request) bool {
	src := t.sourceAddr(req)
	if t.calls.allow(src) {
		return true
	}
	t.Stats.CallsLimited.Add(1)
	t.door.peers.event(src, "over rate_limit.calls")
	return false
}

// sourceAddr is the IP a request came from.
func (t *Trunk) sourceAddr(req *sip.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(req.Source())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// runDoorLogs writes the front door's summary lines every interval, and
// once more when the trunk closes.
func (t *Trunk) runDoorLogs() {
	tick := time.NewTicker(summaryLogInterval)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
		case <-t.ctx.Done():
			t.door.flush()
			return
		}
		t.door.flush()
	}
}

func (d *frontDoor) flush() {
	d.strangers.flush()
	d.peers.flush()
}

// countReply counts an answer the front door sent itself.
func (t *Trunk) countReply(b []byte) { t.Wire.count(b, false) }
