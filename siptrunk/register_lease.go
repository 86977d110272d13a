package siptrunk

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/emiago/sipgo/sip"

	"xphone/cluster"
)

// Leases is what a registration needs of the cluster (cluster.Cluster
// implements it): a lease per trunk account, so that exactly one node
// registers it, and a shared record of the registration (Call-ID, last
// CSeq, contact) so that the next holder continues it and removes the
// dead holder's contact.
type Leases interface {
	Self() string
	Acquire(ctx context.Context, name string, ttl time.Duration) (*cluster.Lease, error)
	Put(ctx context.Context, key string, value []byte, ttl time.Duration) error
	Get(ctx context.Context, key string) ([]byte, error)
}

// defaultLeaseTTL: a dead holder's trunk is taken over within it plus one
// standby try (TTL/3), well inside issue #18's 20 s.
const defaultLeaseTTL = 10 * time.Second

// regRecord is the registration as the cluster keeps it.
type regRecord struct {
	CallID  string `json:"call_id"`
	CSeq    uint32 `json:"cseq"`
	Contact string `json:"contact"` // the holder's contact URI
	Node    string `json:"node"`
}

// leaseState is a registration's part in the cluster; guarded by r.mu.
type leaseState struct {
	lease  *cluster.Lease // nil: standby
	holder string         // the node that holds it, as last seen
	rec    regRecord      // the registration this node continues
	stale  string         // the previous holder's contact, to remove
	due    time.Time      // when to REGISTER next while holding
	closed bool           // the trunk unregistered: take nothing anymore
}

// leaseName and recordKey name the trunk account in the cluster.
func (t *Trunk) leaseName() string { return "trunk:" + t.cfg.Trunk.Name + ":" + t.user() }
func (t *Trunk) recordKey() string { return "trunk-registration:" + t.cfg.Trunk.Name + ":" + t.user() }

func (t *Trunk) leaseTTL() time.Duration {
	if t.cfg.LeaseTTL > 0 {
		return t.cfg.LeaseTTL
	}
	return defaultLeaseTTL
}

// runLeased is run for a cluster: every TTL/3 it takes or renews the
// lease, and while holding it registers and refreshes like run.
func (r *registration) runLeased() {
	tick := r.t.leaseTTL() / 3
	for {
		wait := r.leaseStep(tick)
		select {
		case <-r.loop.Done():
			return
		case <-r.t.clock.After(wait):
		case <-r.wake:
			r.lsMu.Lock()
			r.ls.due = time.Time{}
			r.lsMu.Unlock()
		}
	}
}

// leaseStep holds the lease and registers when due; it returns the wait
// before the next step.
func (r *registration) leaseStep(tick time.Duration) time.Duration {
	r.lsMu.Lock()
	defer r.lsMu.Unlock()
	if r.ls.closed || !r.holdLease() {
		return tick
	}
	if now := r.t.clock.Now(); !now.Before(r.ls.due) {
		r.ls.due = now.Add(r.onceLeased())
	}
	return max(min(tick, r.ls.due.Sub(r.t.clock.Now())), 0)
}

// holdLease takes the lease when free and renews it when held; false on
// standby. While the cluster is unreachable a holder keeps registering
// (local work goes on) and a standby node stays standby (it cannot know
// the holder died).
func (r *registration) holdLease() bool {
	ctx, cancel := withTimeout(r.loop)
	defer cancel()
	if l := r.ls.lease; l != nil {
		err := l.Renew(ctx)
		if err == nil || !errors.Is(err, cluster.ErrLeaseLost) {
			return true
		}
		r.t.log.Warn("SIP registration lease lost; another node registers the trunk", "err", err)
		r.standby(err)
		return false
	}
	l, err := r.t.cfg.Leases.Acquire(ctx, r.t.leaseName(), r.t.leaseTTL())
	var held *cluster.HeldError
	if errors.As(err, &held) {
		r.setHolder(held.Holder)
	}
	if err != nil {
		return false
	}
	r.takeOver(ctx, l)
	return true
}

// takeOver starts holding l: the registration continues from the record
// the previous holder left, whose contact is removed with the first
// REGISTER.
func (r *registration) takeOver(ctx context.Context, l *cluster.Lease) {
	var rec regRecord
	if data, err := r.t.cfg.Leases.Get(ctx, r.t.recordKey()); err == nil && data != nil {
		_ = json.Unmarshal(data, &rec) // a bad record starts a new registration
	}
	own := r.t.dua.ContactHDR.Address.String()
	r.ls = leaseState{lease: l, holder: l.Holder, rec: rec, closed: r.ls.closed}
	if rec.Contact != "" && rec.Contact != own {
		r.ls.stale = rec.Contact
	}
	if r.ls.rec.CallID == "" {
		r.ls.rec.CallID = sip.GenerateTagN(24) // RFC 3261 §10.2: one Call-ID for the whole registration
	}
	r.setHolder(l.Holder)
	r.t.log.Info("SIP registration lease taken", "lease", l.Name, "token", l.Token, "previous", rec.Node)
}

// onceLeased sends one REGISTER as the holder and records it for the
// next holder; it returns how long to wait before the next.
func (r *registration) onceLeased() time.Duration {
	ctx, cancel := withTimeout(r.loop)
	defer cancel()
	r.noteAttempt()
	res, err := r.t.registerWith(ctx, r.expiry(), regOpts{callID: r.ls.rec.CallID, cseq: r.ls.rec.CSeq, stale: r.ls.stale})
	if err == nil {
		r.ls.stale = ""
		r.ls.rec = regRecord{CallID: r.ls.rec.CallID, CSeq: res.cseq, Contact: r.t.dua.ContactHDR.Address.String(), Node: r.t.cfg.Leases.Self()}
		if data, jerr := json.Marshal(r.ls.rec); jerr == nil {
			if perr := r.t.cfg.Leases.Put(ctx, r.t.recordKey(), data, 0); perr != nil {
				r.t.log.Debug("SIP registration record not stored", "err", perr)
			}
		}
	}
	return r.done(res, err)
}

// standby gives the lease up locally: someone else registers now.
func (r *registration) standby(err error) {
	r.ls = leaseState{closed: r.ls.closed}
	r.mu.Lock()
	r.ok, r.lastErr, r.holder = false, err, ""
	r.mu.Unlock()
}

func (r *registration) setHolder(node string) {
	r.mu.Lock()
	r.holder = node
	r.mu.Unlock()
}

// unregisterLeased removes our binding and frees the lease at once, so
// that another node takes over without waiting for the TTL.
func (r *registration) unregisterLeased(ctx context.Context) {
	r.stopLoop() // an unanswered REGISTER in flight gives up lsMu now
	r.lsMu.Lock()
	defer r.lsMu.Unlock()
	l := r.ls.lease
	r.ls.closed, r.ls.lease = true, nil
	if l == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	res, err := r.t.registerWith(ctx, 0, regOpts{callID: r.ls.rec.CallID, cseq: r.ls.rec.CSeq})
	if err != nil {
		r.t.log.Debug("unregister failed", "err", err)
	} else {
		r.ls.rec.CSeq, r.ls.rec.Contact = res.cseq, ""
		if data, jerr := json.Marshal(r.ls.rec); jerr == nil {
			_ = r.t.cfg.Leases.Put(ctx, r.t.recordKey(), data, 0)
		}
	}
	_ = l.Release(ctx)
}

// LeaseHolder is the node registering this trunk for the cluster ("" when
// unknown or not leased); Standby is true when that is another node.
func (t *Trunk) LeaseHolder() (holder string, standby bool) {
	if t.reg == nil || t.cfg.Leases == nil {
		return "", false
	}
	t.reg.mu.Lock()
	defer t.reg.mu.Unlock()
	return t.reg.holder, t.reg.holder != "" && t.reg.holder != t.cfg.Leases.Self()
}

// DialNode is the node that must send this trunk's outbound INVITEs: with
// dial_from_registered_contact, the registration lease's holder when that
// is another node (the provider accepts INVITEs only from the contact it
// registered); "" means this node dials itself (the option is off, this
// node holds the lease, or the holder is not known yet).
func (t *Trunk) DialNode() string {
	if !t.cfg.Trunk.DialFromRegisteredContact {
		return ""
	}
	if holder, standby := t.LeaseHolder(); standby {
		return holder
	}
	return ""
}
