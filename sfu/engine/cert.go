package engine

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"strings"

	"github.com/pion/dtls/v3/pkg/crypto/fingerprint"
	"github.com/pion/dtls/v3/pkg/crypto/selfsign"
)

// certificate returns the DTLS certificate (generated when c is nil) and
// its SHA-256 fingerprint.
func certificate(c *tls.Certificate) (tls.Certificate, string, error) {
	var cert tls.Certificate
	if c != nil {
		cert = *c
	} else {
		var err error
		if cert, err = selfsign.GenerateSelfSigned(); err != nil {
			return cert, "", fmt.Errorf("%w: certificate: %w", ErrConfig, err)
		}
	}
	if len(cert.Certificate) == 0 {
		return cert, "", fmt.Errorf("%w: certificate has no DER block", ErrConfig)
	}
	x, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return cert, "", fmt.Errorf("%w: certificate: %w", ErrConfig, err)
	}
	fp, err := fingerprint.Fingerprint(x, crypto.SHA256)
	if err != nil {
		return cert, "", fmt.Errorf("%w: fingerprint: %w", ErrConfig, err)
	}
	return cert, strings.ToUpper(fp), nil
}

// parseFingerprint accepts an SDP a=fingerprint value ("sha-256 AB:CD:…")
// or the bare hex, and returns the hex. Only SHA-256 is accepted: every
// browser offers it.
func parseFingerprint(v string) (string, error) {
	v = strings.TrimSpace(v)
	if alg, hex, ok := strings.Cut(v, " "); ok {
		if !strings.EqualFold(alg, "sha-256") {
			return "", fmt.Errorf("%w: fingerprint algorithm %q", ErrConfig, alg)
		}
		v = strings.TrimSpace(hex)
	}
	if len(v) != 32*3-1 {
		return "", fmt.Errorf("%w: fingerprint %q", ErrConfig, v)
	}
	return strings.ToUpper(v), nil
}

// verifyFingerprint checks the first DER certificate against want.
func verifyFingerprint(raw [][]byte, want string) error {
	if len(raw) == 0 {
		return fmt.Errorf("%w: no certificate", ErrFingerprint)
	}
	x, err := x509.ParseCertificate(raw[0])
	if err != nil {
		return fmt.Errorf("%w: %w", ErrFingerprint, err)
	}
	got, err := fingerprint.Fingerprint(x, crypto.SHA256)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrFingerprint, err)
	}
	if !strings.EqualFold(got, want) {
		return fmt.Errorf("%w: got %s", ErrFingerprint, got)
	}
	return nil
}
