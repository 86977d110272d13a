package cluster

import (
	"context"
	"time"
)

// Lease is a held lease. Token is its fencing token: it grows with every
// acquisition of the same name, so a resource can refuse a stale holder.
type Lease struct {
	Name   string
	Holder string
	Token  uint64
	TTL    time.Duration
	store  leaseStore
}

// leaseStore is what an implementation does for a Lease.
type leaseStore interface {
	renewLease(ctx context.Context, l *Lease) error
	releaseLease(ctx context.Context, l *Lease) error
}

// Renew extends the lease by its TTL; ErrLeaseLost when another node holds
// it now (the holder must stop acting on it), ErrUnavailable while the
// shared service is unreachable (the holder may keep going until TTL).
func (l *Lease) Renew(ctx context.Context) error { return l.store.renewLease(ctx, l) }

// Release gives the lease up at once if this node still holds it.
func (l *Lease) Release(ctx context.Context) error { return l.store.releaseLease(ctx, l) }
