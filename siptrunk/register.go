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
// ±25 % jitter (the idea of RFC 5626 §4.5).
const (
	backoffMin     = 1 * time.Second
	backoffMax     = 5 * time.Minute
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
}

func newRegistration(t *Trunk) *registration {
	return &registration{t: t, wake: make(chan struct{}, 1)}
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

// run registers, refreshes before expiry and backs off after failures,
// until the trunk closes.
func (r *registration) run() {
	for {
		wait := r.once()
		select {
		case <-r.t.ctx.Done():
			return
		case <-time.After(wait):
		case <-r.wake:
		}
	}
}

// once sends one REGISTER and returns how long to wait before the next.
func (r *registration) once() time.Duration {
	ctx, cancel := withTimeout(r.t.ctx)
	defer cancel()
	granted, err := r.t.register(ctx, r.expiry())
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lastErr, r.ok = err, err == nil
	if err != nil {
		r.failures++
		r.t.log.Warn("SIP registration failed", "err", err, "attempt", r.failures)
		return backoff(r.failures)
	}
	r.failures, r.count, r.expires = 0, r.count+1, granted
	r.t.log.Info("SIP trunk registered", "expires", granted)
	return time.Duration(float64(granted) * refreshAtRatio)
}

func (r *registration) expiry() time.Duration {
	if e := r.t.cfg.Trunk.Register.Expiry.D(); e > 0 {
		return e
	}
	return defaultExpiry
}

// backoff is the wait after n consecutive failures.
func backoff(n int) time.Duration {
	d := backoffMin << min(n-1, 20)
	if d > backoffMax || d <= 0 {
		d = backoffMax
	}
	jitter := time.Duration(rand.Int64N(int64(d)/2+1)) - d/4
	return d + jitter
}

// unregister removes the binding (Expires: 0).
func (r *registration) unregister(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err := r.t.register(ctx, 0); err != nil {
		r.t.log.Debug("unregister failed", "err", err)
	}
}

// register sends REGISTER with digest auth and returns the granted expiry.
func (t *Trunk) register(ctx context.Context, expiry time.Duration) (time.Duration, error) {
	reg := t.cfg.Trunk.Register
	aor := sip.Uri{User: reg.User, Host: t.peer.Host, Port: t.peer.Port}
	req := sip.NewRequest(sip.REGISTER, t.peerURI(""))
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor, Params: sip.NewParams()})
	req.AppendHeader(&t.dua.ContactHDR)
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(int(expiry.Seconds()))))
	res, err := t.cli.Do(ctx, req, sipgo.ClientRequestRegisterBuild)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrRegister, err)
	}
	if res.StatusCode == 401 || res.StatusCode == 407 {
		res, err = t.cli.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: reg.User, Password: reg.Password})
		if err != nil {
			return 0, fmt.Errorf("%w: %v", ErrRegister, err)
		}
	}
	if !res.IsSuccess() {
		return 0, fmt.Errorf("%w: %d %s", ErrRegister, res.StatusCode, res.Reason)
	}
	return grantedExpiry(res, expiry), nil
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

// keepAlive sends OPTIONS to the trunk every interval.
func (t *Trunk) keepAlive(every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-t.ctx.Done():
			return
		case <-tick.C:
			ctx, cancel := withTimeout(t.ctx)
			req := sip.NewRequest(sip.OPTIONS, t.peer)
			if _, err := t.cli.Do(ctx, req); err != nil {
				t.log.Warn("OPTIONS keep-alive failed", "err", err)
			}
			cancel()
		}
	}
}
