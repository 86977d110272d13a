package sfu

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// CallObserver hears how a call progresses: it is how a party's UI learns
// of ringing and answer. The end of the call is the end of the party's leg
// (Leg.Done, Leg.EndReason). Observers may also implement HoldObserver and
// TransferObserver. Calls must not block.
type CallObserver interface {
	Ringing(callID string)
	Connected(callID string, peer Identity, video bool, since time.Time)
}

// HoldObserver hears hold changes: local, this party holds the call;
// remote, the other party does.
type HoldObserver interface {
	HoldState(callID string, local, remote bool)
}

// TransferObserver hears that this party is being transferred to a
// number, and by whom.
type TransferObserver interface {
	Transferring(callID, to string, by Identity)
}

// PlaceRequest is a call from an already negotiated caller leg.
type PlaceRequest struct {
	ID       string // call id; empty: one is made up
	Caller   Leg
	To       string
	Video    bool
	PIN      string // for conference rooms that have one
	Observer CallObserver

	transferor    Identity // set by blind transfer: who transferred
	transferredBy Origin   // and that leg's origin, whose permissions apply
}

// CallsConfig configures call control.
type CallsConfig struct {
	NoAnswerTimeout time.Duration
	Rooms           *Conferences     // conference rooms; nil: none
	Now             func() time.Time // nil: time.Now
	// NoCallWaiting makes a party who is in a call busy for new calls;
	// by default one more call may ring (call waiting).
	NoCallWaiting bool
	// Permit is the toll-fraud gate for transfers: may the call req
	// describes be placed? It decides from origins only (req.Origin,
	// req.TransferredBy), so nobody reaches through someone else's
	// permissions. Dialers check every call they place again. nil: a
	// number a Dialer reaches may be called.
	Permit func(req DialRequest) error
	// DoNotDisturb reports whether number refuses calls (do-not-disturb):
	// they end with ErrDoNotDisturb before anything rings. nil: nobody.
	DoNotDisturb func(number string) bool
	// Recorder takes the outcome of every dial (call history); nil: none.
	Recorder CallRecorder
}

// Calls is call control: it routes numbers to Dialers, builds a Room per
// call, and runs hold, transfer and hang-up. It owns one goroutine per
// active call.
type Calls struct {
	cfg     CallsConfig
	log     *slog.Logger
	dialers []Dialer
	moh     *MusicOnHold

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	noAnswer atomic.Int64 // ns; reloadable

	mu     sync.Mutex // guards inCall, active and closed
	inCall map[string]int
	active map[string]*call
	closed bool
}

// NewCalls returns call control that tries dialers in order.
func NewCalls(cfg CallsConfig, log *slog.Logger, dialers ...Dialer) *Calls {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Calls{cfg: cfg, log: log, dialers: dialers, moh: NewMusicOnHold(log), ctx: ctx, cancel: cancel,
		inCall: map[string]int{}, active: map[string]*call{}}
	c.noAnswer.Store(int64(cfg.NoAnswerTimeout))
	return c
}

// SetNoAnswerTimeout changes how long new calls ring (config reload).
func (c *Calls) SetNoAnswerTimeout(d time.Duration) { c.noAnswer.Store(int64(d)) }

// Busy reports whether number takes part in a call (ringing or connected).
func (c *Calls) Busy(number string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.inCall[number] > 0
}

// Engaged is how many calls number takes part in on this node (ringing or
// connected) and how many it may: a node ringing an extension for a call
// anchored on another node decides busy from it (web/xcall*.go).
func (c *Calls) Engaged(number string) (n, limit int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	limit = 2
	if c.cfg.NoCallWaiting {
		limit = 1
	}
	return c.inCall[number], limit
}

// Place starts a call and returns its id at once; progress reaches the
// observer, and failures end the caller's leg with a reason.
func (c *Calls) Place(req PlaceRequest) (string, error) {
	if req.ID == "" {
		req.ID = NewID("call")
	}
	room := c.cfg.Rooms != nil && c.cfg.Rooms.Reaches(req.To)
	var dialer Dialer
	if !room {
		dialer = c.route(req.To)
	}
	cl, err := c.newCall(req.ID, room)
	if err != nil {
		return "", err
	}
	c.reserve(cl, req.Caller.Identity().Number)
	c.wg.Add(1)
	go func() {
		if room {
			c.runConference(cl, req) // ends cl and c.wg's count itself
			return
		}
		defer c.wg.Done()
		defer c.end(cl)
		c.run(cl, req, dialer)
	}()
	return req.ID, nil
}

func (c *Calls) route(number string) Dialer {
	for _, d := range c.dialers {
		if d.Reaches(number) {
			return d
		}
	}
	return nil
}

func (c *Calls) newCall(id string, conference bool) (*call, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	cl := &call{id: id, calls: c, cmds: make(chan func()), done: make(chan struct{}), parties: map[Leg]party{}, cameraOff: map[Leg]bool{},
		room: NewRoom(id, c.moh, c.log), log: c.log.With("call", id), started: c.cfg.Now(), conference: conference}
	c.active[id] = cl
	return cl, nil
}

func (c *Calls) lookup(id string) *call {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.active[id]
}

// reserve counts number as taking part in cl.
func (c *Calls) reserve(cl *call, number string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inCall[number]++
	cl.numbers = append(cl.numbers, number)
}

// reserveCallee counts a callee in, or reports it busy: in two calls
// already, or in one when call waiting is off.
func (c *Calls) reserveCallee(cl *call, number string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	limit := 2
	if c.cfg.NoCallWaiting {
		limit = 1
	}
	if c.inCall[number] >= limit {
		return ErrBusy
	}
	c.inCall[number]++
	cl.numbers = append(cl.numbers, number)
	return nil
}

// unreserve counts number out of cl once.
func (c *Calls) unreserve(cl *call, number string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, n := range cl.numbers {
		if n == number {
			cl.numbers = append(cl.numbers[:i:i], cl.numbers[i+1:]...)
			c.decLocked(number)
			return
		}
	}
}

func (c *Calls) decLocked(number string) {
	if c.inCall[number]--; c.inCall[number] <= 0 {
		delete(c.inCall, number)
	}
}

// end forgets a finished call and frees its parties.
func (c *Calls) end(cl *call) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.active, cl.id)
	close(cl.done)
	for _, n := range cl.numbers {
		c.decLocked(n)
	}
	cl.numbers = nil
}

// dial reaches the callee within the no-answer timeout, giving up when the
// caller hangs up.
func (c *Calls) dial(cl *call, req PlaceRequest, dialer Dialer) (Leg, error) {
	if dialer == nil {
		return nil, ErrNotFound
	}
	if req.To == req.Caller.Identity().Number {
		return nil, ErrBusy // calling yourself
	}
	if c.cfg.DoNotDisturb != nil && c.cfg.DoNotDisturb(req.To) {
		return nil, ErrDoNotDisturb
	}
	if err := c.reserveCallee(cl, req.To); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeoutCause(c.ctx, time.Duration(c.noAnswer.Load()), ErrNoAnswer)
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
	var early Leg
	leg, err := dialer.Dial(ctx, DialRequest{
		CallID: cl.id, From: req.Caller.Identity(), To: req.To, Video: req.Video, VideoMime: videoMimeOf(req.Caller), Origin: req.Caller.Origin(),
		Transferor: req.transferor, TransferredBy: req.transferredBy,
		Ringing: func() { req.Observer.Ringing(cl.id) },
		// Dial runs on the call goroutine, which owns the membership.
		EarlyMedia: func(l Leg) {
			if early == nil {
				early = l
				cl.join(l, party{obs: nopObserver{}, callID: cl.id})
			}
		},
	})
	if err != nil {
		if early != nil {
			cl.remove(early)
		}
		c.unreserve(cl, req.To)
		if errors.Is(err, context.Canceled) && c.ctx.Err() != nil {
			err = ErrClosed
		}
	}
	return leg, err
}

func hangupAll(reason Reason, legs ...Leg) {
	for _, l := range legs {
		_ = l.Hangup(context.Background(), reason)
	}
}

// Close stops the music and hangs up every call, waiting for them.
func (c *Calls) Close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.cancel()
	c.wg.Wait()
	c.moh.Close()
}
