package sfu

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// CallObserver hears how a placed call progresses; it is how the caller's
// UI learns of ringing and answer. The end of the call is the end of the
// caller's leg (Leg.Done, Leg.EndReason).
type CallObserver interface {
	Ringing(callID string)
	Connected(callID string, peer Identity, video bool, since time.Time)
}

// PlaceRequest is a call from an already negotiated caller leg.
type PlaceRequest struct {
	ID       string // call id; empty: one is made up
	Caller   Leg
	To       string
	Video    bool
	PIN      string // for conference rooms that have one
	Observer CallObserver
}

// CallsConfig configures call control.
type CallsConfig struct {
	NoAnswerTimeout time.Duration
	Rooms           *Conferences     // conference rooms; nil: none
	Now             func() time.Time // nil: time.Now
}

// Calls is call control: it routes numbers to Dialers, builds a Room per
// call, and tears calls down. It owns one goroutine per active call.
type Calls struct {
	cfg     CallsConfig
	log     *slog.Logger
	dialers []Dialer

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex // guards inCall and closed
	inCall map[string]int
	closed bool
}

// NewCalls returns call control that tries dialers in order.
func NewCalls(cfg CallsConfig, log *slog.Logger, dialers ...Dialer) *Calls {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Calls{cfg: cfg, log: log, dialers: dialers, ctx: ctx, cancel: cancel, inCall: map[string]int{}}
}

// Busy reports whether number takes part in a call (ringing or connected).
func (c *Calls) Busy(number string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.inCall[number] > 0
}

// Place starts a call and returns its id at once; progress reaches the
// observer, and failures end the caller's leg with a reason.
func (c *Calls) Place(req PlaceRequest) (string, error) {
	room := c.cfg.Rooms != nil && c.cfg.Rooms.Reaches(req.To)
	var dialer Dialer
	if !room {
		dialer = c.route(req.To)
	}
	caller := req.Caller.Identity().Number
	if err := c.reserve(caller, req.To, dialer != nil); err != nil {
		return "", err
	}
	id := req.ID
	if id == "" {
		id = NewID("call")
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		defer c.release(caller, req.To)
		if room {
			c.runConference(id, req)
			return
		}
		c.run(id, req, dialer)
	}()
	return id, nil
}

func (c *Calls) route(number string) Dialer {
	for _, d := range c.dialers {
		if d.Reaches(number) {
			return d
		}
	}
	return nil
}

// reserve marks both parties busy; a busy callee is still reported through
// the call's own flow so the caller sees the reason on its leg.
func (c *Calls) reserve(caller, callee string, routed bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	c.inCall[caller]++
	if routed {
		c.inCall[callee]++
	}
	return nil
}

func (c *Calls) release(numbers ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range numbers {
		if _, ok := c.inCall[n]; !ok {
			continue
		}
		if c.inCall[n]--; c.inCall[n] <= 0 {
			delete(c.inCall, n)
		}
	}
}

// run is one call from dialling to hang-up.
func (c *Calls) run(id string, req PlaceRequest, dialer Dialer) {
	log := c.log.With("call", id, "ext", req.Caller.Identity().Number, "to", req.To)
	room := NewRoom(id, c.log)
	room.Join(req.Caller)
	defer room.Leave(req.Caller)
	callee, err := c.dial(id, req, dialer)
	if err != nil {
		reason := ReasonFor(err)
		log.Info("call failed", "reason", string(reason), "err", err)
		_ = req.Caller.Hangup(context.Background(), reason)
		return
	}
	since := c.cfg.Now()
	log.Info("call connected", "callee_leg", callee.ID())
	room.Join(callee)
	defer room.Leave(callee)
	req.Observer.Connected(id, callee.Identity(), req.Video && len(callee.Ups()) > 1, since)
	select {
	case <-req.Caller.Done():
	case <-callee.Done():
	case <-c.ctx.Done():
	}
	hangupAll(ReasonHangup, req.Caller, callee)
	log.Info("call ended", "duration", c.cfg.Now().Sub(since).Round(time.Second).String())
}

// dial reaches the callee within the no-answer timeout, giving up when the
// caller hangs up.
func (c *Calls) dial(id string, req PlaceRequest, dialer Dialer) (Leg, error) {
	if dialer == nil {
		return nil, ErrNotFound
	}
	if c.busyElsewhere(req.To) {
		return nil, ErrBusy
	}
	ctx, cancel := context.WithTimeoutCause(c.ctx, c.cfg.NoAnswerTimeout, ErrNoAnswer)
	defer cancel()
	ctx, cancelCause := context.WithCancelCause(ctx)
	defer cancelCause(nil)
	watchDone := make(chan struct{})
	defer close(watchDone)
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		select {
		case <-req.Caller.Done():
			cancelCause(ErrCancelled)
		case <-watchDone:
		}
	}()
	leg, err := dialer.Dial(ctx, DialRequest{
		CallID: id, From: req.Caller.Identity(), To: req.To, Video: req.Video,
		Ringing: func() { req.Observer.Ringing(id) },
	})
	if err != nil && errors.Is(err, context.Canceled) && c.ctx.Err() != nil {
		err = ErrClosed
	}
	return leg, err
}

// busyElsewhere reports whether number is in another call than this one.
func (c *Calls) busyElsewhere(number string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.inCall[number] > 1
}

func hangupAll(reason Reason, legs ...Leg) {
	for _, l := range legs {
		_ = l.Hangup(context.Background(), reason)
	}
}

// Close hangs up every call and waits for their goroutines.
func (c *Calls) Close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.cancel()
	c.wg.Wait()
}
