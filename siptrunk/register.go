package siptrunk

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Backoff after a failed REGISTER: exponential from min to max, with
// ±25 % jitter (the idea of RFC 5626 §4.5). The cap keeps a PBX that comes
// back after any outage re-registered within a minute (45 s + 25 % jitter
// = 56¼ s at most, plus under a second), while a dead registrar sees at
// most one REGISTER every 34 s per trunk — no retry storm.
const (
	backoffMin     = 1 * time.Second
	backoffMax     = 45 * time.Second
	defaultExpiry  = 300 * time.Second
	refreshAtRatio = 0.8 // re-register after 80 % of the granted expiry
)

// registration keeps the trunk registered.
type registration struct {
	t        *Trunk
	mu       sync.Mutex
	lastErr  error
	ok       bool
	count    int // successful REGISTERs
	failures int // consecutive failures
	expires  time.Duration
	wake     chan struct{}
	// min and max bound the backoff (tests shorten them).
	min, max time.Duration
	attempts []time.Time // when the last REGISTERs were sent, newest last
	bindings []string    // contacts the registrar listed in its last 200
	holder   string      // node holding the cluster lease ("" without)
	// lsMu serialises the lease loop's steps with Close's unregister.
	lsMu sync.Mutex
	ls   leaseState
	// loop bounds the lease loop's requests; Close's unregister ends it
	// first, so a REGISTER the registrar never answers cannot hold lsMu
	// (and Close) for requestTimeout.
	loop     context.Context
	stopLoop context.CancelFunc
}

// maxAttempts is how many REGISTER times are remembered (for tests and
// the status page's "last attempt").
const maxAttempts = 16

func newRegistration(t *Trunk) *registration {
	r := &registration{t: t, wake: make(chan struct{}, 1), min: backoffMin, max: backoffMax}
	r.loop, r.stopLoop = context.WithCancel(t.ctx)
	if t.backoff[0] > 0 {
		r.min, r.max = t.backoff[0], t.backoff[1]
	}
	return r
}

// retryNow makes the registration loop send a REGISTER at once (the peer
// came back after keep-alives failed).
func (r *registration) retryNow() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// lost marks the registration as gone (the peer stopped answering).
func (r *registration) lost(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ok, r.lastErr = false, err
}

// Status reports whether the trunk is registered, how many times it has
// registered and the last error.
func (t *Trunk) Status() (registered bool, count int, lastErr error) {
	if t.reg == nil {
		return false, 0, nil
	}
	t.reg.mu.Lock()
	defer t.reg.mu.Unlock()
	return t.reg.ok, t.reg.count, t.reg.lastErr
}

// Bindings are the contacts the registrar listed for the trunk's account
// in its last 200 to our REGISTER (ours and any other).
func (t *Trunk) Bindings() []string {
	if t.reg == nil {
		return nil
	}
	t.reg.mu.Lock()
	defer t.reg.mu.Unlock()
	return append([]string(nil), t.reg.bindings...)
}

// run registers, refreshes before expiry and backs off after failures,
// until the trunk closes.
func (r *registration) run() {
	if r.t.cfg.Leases != nil {
		r.runLeased()
		return
	}
	for {
		wait := r.once()
		select {
		case <-r.t.ctx.Done():
			return
		case <-r.t.clock.After(wait):
		case <-r.wake:
		}
	}
}

// once sends one REGISTER and returns how long to wait before the next.
func (r *registration) once() time.Duration {
	ctx, cancel := withTimeout(r.t.ctx)
	defer cancel()
	r.noteAttempt()
	res, err := r.t.registerWith(ctx, r.expiry(), regOpts{})
	return r.done(res, err)
}

// noteAttempt remembers when a REGISTER went out.
func (r *registration) noteAttempt() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts = append(r.attempts, r.t.clock.Now())
	if len(r.attempts) > maxAttempts {
		r.attempts = r.attempts[1:]
	}
}

// done records a REGISTER's outcome and returns the wait before the next:
// backoff after a failure, 80 % of the granted expiry after a success.
func (r *registration) done(res regResult, err error) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lastErr, r.ok = err, err == nil
	if err != nil {
		r.failures++
		wait := backoff(r.failures, r.min, r.max)
		r.t.log.Warn("SIP registration failed", "err", err, "attempt", r.failures, "retry_in", wait)
		return wait
	}
	r.failures, r.count, r.expires, r.bindings = 0, r.count+1, res.granted, res.bindings
	r.t.log.Info("SIP trunk registered", "expires", res.granted)
	return time.Duration(float64(res.granted) * refreshAtRatio)
}

func (r *registration) expiry() time.Duration {
	if e := r.t.cfg.Trunk.Register.Expiry.D(); e > 0 {
		return e
	}
	return defaultExpiry
}

// backoff is the wait after n consecutive failures: lo doubling per
// failure up to hi, ±25 % jitter.
func backoff(n int, lo, hi time.Duration) time.Duration {
	d := lo << min(n-1, 20)
	if d > hi || d <= 0 {
		d = hi
	}
	jitter := time.Duration(rand.Int64N(int64(d)/2+1)) - d/4
	return d + jitter
}

// unregister removes the binding (Expires: 0).
func (r *registration) unregister(ctx context.Context) {
	if r.t.cfg.Leases != nil {
		r.unregisterLeased(ctx)
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err := r.t.register(ctx, 0); err != nil {
		r.t.log.Debug("unregister failed", "err", err)
	}
}

// register sends REGISTER with digest auth and returns the granted expiry.
func (t *Trunk) register(ctx context.Context, expiry time.Duration) (time.Duration, error) {
	res, err := t.registerWith(ctx, expiry, regOpts{})
	return res.granted, err
}

// regOpts continue a registration: its Call-ID and last CSeq (kept in the
// cluster so that the next lease holder goes on with them), and a stale
// contact of a previous holder to remove in the same request.
type regOpts struct {
	callID string // "": a new Call-ID
	cseq   uint32 // the last CSeq sent with callID
	stale  string // contact URI to remove (expires=0); "": none
}

// regResult is the registrar's answer: the expiry granted, the CSeq the
// request went out with (after a digest retry) and the bindings listed.
type regResult struct {
	granted  time.Duration
	cseq     uint32
	bindings []string
}

// registerWith sends one REGISTER (with digest auth when challenged).
func (t *Trunk) registerWith(ctx context.Context, expiry time.Duration, o regOpts) (regResult, error) {
	reg := t.cfg.Trunk.Register
	req := t.registerRequest(expiry, o)
	res, err := t.cli.Do(ctx, req, sipgo.ClientRequestRegisterBuild)
	if err != nil {
		return regResult{}, fmt.Errorf("%w: %v", ErrRegister, err)
	}
	if res.StatusCode == 401 || res.StatusCode == 407 {
		res, err = t.cli.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: reg.User, Password: reg.Password})
		if err != nil {
			return regResult{}, fmt.Errorf("%w: %v", ErrRegister, err)
		}
	}
	if !res.IsSuccess() {
		return regResult{}, fmt.Errorf("%w: %d %s", ErrRegister, res.StatusCode, res.Reason)
	}
	out := regResult{granted: grantedExpiry(res, expiry), bindings: bindings(res)}
	if c := req.CSeq(); c != nil {
		out.cseq = c.SeqNo
	}
	return out, nil
}

// registerRequest builds a REGISTER for our contact.
func (t *Trunk) registerRequest(expiry time.Duration, o regOpts) *sip.Request {
	reg := t.cfg.Trunk.Register
	aor := sip.Uri{User: reg.User, Host: t.peer.Host, Port: t.peer.Port}
	req := sip.NewRequest(sip.REGISTER, t.peerURI(""))
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor, Params: sip.NewParams()})
	req.AppendHeader(&t.dua.ContactHDR)
	if o.stale != "" {
		req.AppendHeader(sip.NewHeader("Contact", "<"+o.stale+">;expires=0"))
	}
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(int(expiry.Seconds()))))
	if o.callID != "" {
		id := sip.CallIDHeader(o.callID)
		req.AppendHeader(&id)
		// ClientRequestRegisterBuild sends the next CSeq.
		req.AppendHeader(&sip.CSeqHeader{SeqNo: o.cseq, MethodName: sip.REGISTER})
	}
	return req
}

// bindings are the contact URIs a registrar's 200 lists for the AOR.
func bindings(res *sip.Response) []string {
	var out []string
	for _, h := range res.GetHeaders("Contact") {
		if c, ok := h.(*sip.ContactHeader); ok {
			out = append(out, c.Address.String())
		}
	}
	return out
}

// grantedExpiry reads Expires from the 200 (header or Contact param).
func grantedExpiry(res *sip.Response, asked time.Duration) time.Duration {
	if h := res.GetHeader("Expires"); h != nil {
		if n, err := strconv.Atoi(h.Value()); err == nil && n > 0 {
			return time.Duration(n) * time.Second
		}
	}
	if c := res.Contact(); c != nil {
		if v, ok := c.Params.Get("expires"); ok {
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				return time.Duration(n) * time.Second
			}
		}
	}
	return asked
}

// keepAlive sends OPTIONS to the trunk every interval. When they stop
// being answered the registration is marked lost (a restarted registrar
// has forgotten us); the first answer afterwards re-registers at once
// instead of waiting for the refresh timer or backoff.
func (t *Trunk) keepAlive(every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	down := false
	for {
		select {
		case <-t.ctx.Done():
			return
		case <-tick.C:
		}
		err := t.ping(min(every, requestTimeout))
		switch {
		case err != nil && !down:
			down = true
			t.log.Warn("OPTIONS keep-alive failed; trunk peer unreachable", "err", err)
			if t.reg != nil {
				t.reg.lost(fmt.Errorf("%w: keep-alive: %v", ErrRegister, err))
			}
		case err == nil && down:
			down = false
			t.log.Info("trunk peer answers OPTIONS again")
			if t.reg != nil {
				t.reg.retryNow()
			}
		}
	}
}

// ping sends one OPTIONS to the trunk; any final answer counts as alive.
func (t *Trunk) ping(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(t.ctx, timeout)
	defer cancel()
	_, err := t.cli.Do(ctx, sip.NewRequest(sip.OPTIONS, t.peer))
	return err
}

// attemptTimes are the times of the last REGISTERs sent (oldest first).
func (t *Trunk) attemptTimes() []time.Time {
	if t.reg == nil {
		return nil
	}
	t.reg.mu.Lock()
	defer t.reg.mu.Unlock()
	return append([]time.Time(nil), t.reg.attempts...)
}
