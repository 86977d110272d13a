// Package certs provides the TLS certificate of the HTTPS listener: the
// configured certificate and key files, or a self-signed ECDSA P-256
// certificate created in the data directory on first start and reused.
package certs

import "errors"

// Sentinel errors.
var (
	// ErrLoad means the certificate or key files could not be read or do
	// not form a valid pair.
	ErrLoad = errors.New("certs: cannot load certificate")
	// ErrCreate means a self-signed certificate could not be created or
	// stored.
	ErrCreate = errors.New("certs: cannot create self-signed certificate")
)
