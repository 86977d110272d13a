package sfu

import (
	"context"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"
)

// party is one leg of a call as call control sees it: who to tell about
// the call, and by which call id that observer knows it (after an attended
// transfer the two differ).
type party struct {
	obs    CallObserver
	callID string
}

// call is one 1:1 call. Its goroutine (run) owns the membership: hold,
// transfer and hang-up reach it as commands, so they never race.
type call struct {
	id    string
	calls *Calls
	room  *Room
	log   *slog.Logger
	cmds  chan func()
	done  chan struct{} // closed when the call has ended
	// looping is set while the call is connected and serves commands.
	looping    atomic.Bool
	conference bool
	started    time.Time

	// Owned by the call goroutine, except numbers (Calls.mu).
	legs     []Leg
	parties  map[Leg]party
	numbers  []string
	since    time.Time
	detached bool     // an attended transfer took the remaining leg away
	pair     *pairing // the answered dial the call carries (call history)
	// cameraOff: the legs whose party turned its camera off.
	cameraOff map[Leg]bool
}

// run is a call from dialling to hang-up.
func (c *Calls) run(cl *call, req PlaceRequest, dialer Dialer) {
	cl.add(req.Caller, party{obs: req.Observer, callID: cl.id})
	callee, err := c.dial(cl, req, dialer)
	if err != nil {
		reason := ReasonFor(err)
		cl.log.Info("call failed", "reason", string(reason), "err", err)
		c.failedDial(cl, req, cl.started, err)
		cl.remove(req.Caller)
		_ = req.Caller.Hangup(context.Background(), reason)
		return
	}
	cl.since = c.cfg.Now()
	cl.answered(req, callee, cl.started, cl.since)
	cl.join(callee, party{obs: observerOf(callee), callID: cl.id})
	cl.log.Info("call connected", "callee_leg", callee.ID())
	// Commands are taken from here on (they wait for the loop below): a
	// caller told "connected" may hold or transfer at once.
	cl.looping.Store(true)
	req.Observer.Connected(cl.id, callee.Identity(), req.Video && hasVideo(callee), cl.since)
	cl.loop()
	if !cl.detached {
		reason := remainingReason(cl.legs)
		if c.ctx.Err() != nil {
			reason = ReasonServerRestart // Close: the server is going down
		}
		for _, l := range slices.Clone(cl.legs) {
			cl.remove(l)
			_ = l.Hangup(context.Background(), reason)
		}
	}
	cl.log.Info("call ended", "duration", c.cfg.Now().Sub(cl.since).Round(time.Second).String())
}

// loop serves commands until a party leaves or the server stops; run
// sets looping before it.
func (cl *call) loop() {
	defer cl.looping.Store(false)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for len(cl.legs) == 2 && !cl.detached {
		select {
		case <-tick.C:
			cl.room.Tick(1)
		case <-cl.legs[0].Done():
			return
		case <-cl.legs[1].Done():
			return
		case f := <-cl.cmds:
			f()
		case <-cl.calls.ctx.Done():
			return
		}
	}
}

// do runs f on the call's goroutine; it fails if the call has ended or is
// not yet answered.
func (cl *call) do(f func() error) error {
	return cl.doThen(func() (func(), error) { return nil, f() })
}

// doThen is do for a command with a slow second part: f's error goes back
// to the caller at once, then the call's goroutine runs what f returned
// (a blind transfer's dial), so the caller never waits for it.
func (cl *call) doThen(f func() (func(), error)) error {
	if cl.conference {
		return ErrInConference
	}
	if !cl.looping.Load() {
		return ErrNotInCall
	}
	result := make(chan error, 1)
	cmd := func() {
		then, err := f()
		result <- err
		if then != nil {
			then()
		}
	}
	select {
	case cl.cmds <- cmd:
		return <-result
	case <-cl.done:
		return ErrNotInCall
	case <-cl.calls.ctx.Done():
		return ErrClosed
	}
}

func (cl *call) add(l Leg, p party) {
	cl.legs = append(cl.legs, l)
	cl.parties[l] = p
	cl.room.Join(l)
}

// join adds l, or only records its party when it is already a member
// (a leg that sent early media before answering).
func (cl *call) join(l Leg, p party) {
	if cl.has(l) {
		cl.parties[l] = p
		return
	}
	cl.add(l, p)
}

func (cl *call) remove(l Leg) {
	cl.unpair(l)
	delete(cl.cameraOff, l)
	cl.legs = slices.DeleteFunc(cl.legs, func(x Leg) bool { return x == l })
	delete(cl.parties, l)
	cl.room.Leave(l)
}

// other is the party l talks to.
func (cl *call) other(l Leg) Leg {
	for _, x := range cl.legs {
		if x != l {
			return x
		}
	}
	return nil
}

func (cl *call) has(l Leg) bool { return slices.Contains(cl.legs, l) }

// observerOf finds who watches an answered leg, if anybody.
func observerOf(l Leg) CallObserver {
	if o, ok := l.(ObservedLeg); ok && o.Observer() != nil {
		return o.Observer()
	}
	return nopObserver{}
}

type nopObserver struct{}

func (nopObserver) Ringing(string)                              {}
func (nopObserver) Connected(string, Identity, bool, time.Time) {}

func hasVideo(l Leg) bool {
	return slices.ContainsFunc(l.Ups(), func(u *UpTrack) bool { return u.Kind() == Video })
}
