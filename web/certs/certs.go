package certs

import (
	"crypto/sha256"
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// Paths of the self-signed pair inside the data directory.
const (
	Dir      = "tls"
	CertName = "cert.pem"
	KeyName  = "key.pem"
)

// LoadOrCreate returns the listener's certificate. With certFile and keyFile
// set it loads them. With both empty it uses <dataDir>/tls/cert.pem and
// key.pem, creating a self-signed pair there on first start (logged with its
// SHA-256 fingerprint) and reusing it afterwards. Setting only one of
// certFile and keyFile is an error.
func LoadOrCreate(dataDir, certFile, keyFile string, log *slog.Logger) (tls.Certificate, error) {
	if certFile != "" || keyFile != "" {
		if certFile == "" || keyFile == "" {
			return tls.Certificate{}, fmt.Errorf("%w: certificate %q and key %q must both be set", ErrLoad, certFile, keyFile)
		}
		return load(certFile, keyFile)
	}
	dir := filepath.Join(dataDir, Dir)
	certFile, keyFile = filepath.Join(dir, CertName), filepath.Join(dir, KeyName)
	certOK, keyOK := exists(certFile), exists(keyFile)
	switch {
	case certOK && keyOK:
		cert, err := load(certFile, keyFile)
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("%w (delete both files to create a new self-signed pair)", err)
		}
		log.Info("using self-signed certificate", "path", certFile, "sha256", Fingerprint(cert))
		return cert, nil
	case certOK != keyOK:
		return tls.Certificate{}, fmt.Errorf("%w: only one of %s and %s exists; delete it to create a new self-signed pair",
			ErrLoad, certFile, keyFile)
	}
	cert, err := create(dir, certFile, keyFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	log.Info("created self-signed certificate", "path", certFile, "sha256", Fingerprint(cert))
	return cert, nil
}

func load(certFile, keyFile string) (tls.Certificate, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("%w from %s and %s: %w", ErrLoad, certFile, keyFile, err)
	}
	return cert, nil
}

// exists reports whether path can be stat'ed; other failures surface when
// creating the pair.
func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// Fingerprint returns the SHA-256 of the leaf certificate's DER bytes as
// colon-separated upper-case hex, the form browsers show.
func Fingerprint(cert tls.Certificate) string {
	if len(cert.Certificate) == 0 {
		return ""
	}
	sum := sha256.Sum256(cert.Certificate[0])
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}
