package cluster

import (
	"errors"
	"fmt"
)

// Sentinel errors; match with errors.Is.
var (
	// ErrUnavailable: the shared service (Redis) cannot be reached now.
	// Local work goes on; the node heals its entries when it is back.
	ErrUnavailable = errors.New("cluster: unavailable")
	// ErrNoNode: the addressed node is not alive (dead, left, unknown).
	ErrNoNode = errors.New("cluster: no such live node")
	// ErrNoHandler: the node has no handler for the method.
	ErrNoHandler = errors.New("cluster: no handler")
	// ErrRemote: the remote handler returned an error (*RemoteError).
	ErrRemote = errors.New("cluster: remote error")
	// ErrLeaseHeld: another node holds the lease (*HeldError).
	ErrLeaseHeld = errors.New("cluster: lease held")
	// ErrLeaseLost: the lease expired and someone else took it.
	ErrLeaseLost = errors.New("cluster: lease lost")
	// ErrClosed: the node has left the cluster.
	ErrClosed = errors.New("cluster: closed")
	// ErrConfig: the options cannot work.
	ErrConfig = errors.New("cluster: bad options")
)

// RemoteError is a handler's error as the caller sees it.
type RemoteError struct {
	Node, Method, Msg string
}

func (e *RemoteError) Error() string {
	return fmt.Sprintf("cluster: %s on %s: %s", e.Method, e.Node, e.Msg)
}

// Unwrap makes errors.Is(err, ErrRemote) true.
func (e *RemoteError) Unwrap() error { return ErrRemote }

// HeldError names the lease's current holder.
type HeldError struct {
	Lease, Holder string
}

func (e *HeldError) Error() string {
	return fmt.Sprintf("cluster: lease %s held by %s", e.Lease, e.Holder)
}

// Unwrap makes errors.Is(err, ErrLeaseHeld) true.
func (e *HeldError) Unwrap() error { return ErrLeaseHeld }
