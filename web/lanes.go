package web

import (
	"xphone/sfu"
)

// Requests that may wait run off the socket's read loop, so a blind
// transfer ringing for half a minute, or media being negotiated, never
// keeps the tab from reading its socket (and answering its keep-alive).
// Requests about one call keep their order: each call has a lane, a queue
// worked off by one goroutine at a time.

// maxLaneQueue bounds the requests waiting in one call's lane.
const maxLaneQueue = 16

// lane is one call's queue of requests.
type lane struct {
	queue   []func()
	running bool
}

// goWork runs f on a goroutine that the tab's end waits for; once the tab
// is ending nothing new starts (the check and the Add share the lock that
// finishTab takes before it waits).
func (t *tab) goWork(f func()) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ctx.Err() != nil {
		return false
	}
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		f()
	}()
	return true
}

// afterLegWork runs f once leg has ended, as work the tab waits for (like
// goWork) but without a goroutine parked on the leg for the whole call: a
// browser leg calls back when it ends (sfu.AfterDone). False when the tab
// is ending.
func (t *tab) afterLegWork(leg sfu.Leg, f func()) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ctx.Err() != nil {
		return false
	}
	t.wg.Add(1)
	sfu.AfterDone(leg, func() {
		defer t.wg.Done()
		f()
	})
	return true
}

// inLane queues handler(m) behind the earlier requests about the same call.
func (t *tab) inLane(m inMsg, handler func(inMsg)) {
	t.mu.Lock()
	l := t.lanes[m.Call]
	if l == nil {
		l = &lane{}
		t.lanes[m.Call] = l
	}
	if len(l.queue) >= maxLaneQueue {
		t.mu.Unlock()
		t.sendError(m.Req, codeBusyHere, "too many requests about this call at once")
		return
	}
	l.queue = append(l.queue, func() { handler(m) })
	start := !l.running
	l.running = true
	t.mu.Unlock()
	if start && !t.goWork(func() { t.drainLane(m.Call, l) }) {
		t.mu.Lock()
		delete(t.lanes, m.Call)
		t.mu.Unlock()
	}
}

// drainLane works off a lane until it is empty, then forgets it.
func (t *tab) drainLane(call string, l *lane) {
	for {
		t.mu.Lock()
		if len(l.queue) == 0 {
			l.running = false
			delete(t.lanes, call)
			t.mu.Unlock()
			return
		}
		f := l.queue[0]
		l.queue = l.queue[1:]
		t.mu.Unlock()
		f()
	}
}

// restartICE asks the leg for an ICE restart: the server sends a new offer
// with fresh ICE credentials, which the browser answers like any other
// (docs/signaling.md, "Reconnecting").
func (t *tab) restartICE(m inMsg) {
	if rl, ok := t.legOf(m.Call).(*remoteLeg); ok {
		if _, err := rl.request(m); err != nil {
			t.sendError(m.Req, codeBadRequest, "cannot restart ICE: "+err.Error())
		}
		return
	}
	leg, ok := t.legOf(m.Call).(*sfu.WebRTCLeg)
	if !ok {
		t.sendError(m.Req, codeUnknownCall, "no such call")
		return
	}
	if err := leg.RestartICE(); err != nil {
		t.sendError(m.Req, codeBadRequest, "cannot restart ICE: "+err.Error())
	}
}
