package engine

import "errors"

// Errors returned by the engine. They are wrapped with context; test with
// errors.Is.
var (
	// ErrClosed: the engine or the peer is closed.
	ErrClosed = errors.New("engine: closed")
	// ErrConfig: a Config or PeerConfig field is missing or invalid.
	ErrConfig = errors.New("engine: invalid config")
	// ErrDuplicateUfrag: a peer with this local ufrag is already registered.
	ErrDuplicateUfrag = errors.New("engine: duplicate ufrag")
	// ErrNotReady: the peer has no SRTP keys or no bound address yet.
	ErrNotReady = errors.New("engine: peer not ready")
	// ErrHandshake: the DTLS handshake failed or timed out.
	ErrHandshake = errors.New("engine: dtls handshake")
	// ErrFingerprint: the remote certificate does not match the SDP fingerprint.
	ErrFingerprint = errors.New("engine: certificate fingerprint mismatch")
	// ErrTooLarge: a packet does not fit a send buffer.
	ErrTooLarge = errors.New("engine: packet too large")
	// ErrSocket: a socket system call failed.
	ErrSocket = errors.New("engine: socket")
)
