package certs

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func logMessages(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func TestSelfSignedCreatedOnceThenReused(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))

	first, err := LoadOrCreate(dataDir, "", "", log)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dataDir, "tls", "cert.pem"), filepath.Join(dataDir, "tls", "key.pem")
	assertMode(t, keyFile, 0o600)
	assertMode(t, filepath.Join(dataDir, "tls"), 0o700)
	logs := logMessages(t, &buf)
	if len(logs) != 1 || logs[0]["msg"] != "created self-signed certificate" ||
		logs[0]["path"] != certFile || logs[0]["sha256"] != Fingerprint(first) {
		t.Fatalf("logs = %v", logs)
	}

	buf.Reset()
	second, err := LoadOrCreate(dataDir, "", "", log)
	if err != nil {
		t.Fatal(err)
	}
	if Fingerprint(second) != Fingerprint(first) {
		t.Errorf("second start created a new certificate")
	}
	for _, m := range logMessages(t, &buf) {
		if m["msg"] == "created self-signed certificate" {
			t.Error("second start logged a creation")
		}
	}
}

func TestSelfSignedContents(t *testing.T) {
	cert, err := LoadOrCreate(t.TempDir(), "", "", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	pub, ok := leaf.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		t.Errorf("public key %T, want ECDSA P-256", leaf.PublicKey)
	}
	if err := leaf.CheckSignature(leaf.SignatureAlgorithm, leaf.RawTBSCertificate, leaf.Signature); err != nil {
		t.Errorf("not self-signed: %v", err)
	}
	if years := leaf.NotAfter.Sub(leaf.NotBefore).Hours() / 24 / 365; years < 9.9 || years > 10.1 {
		t.Errorf("validity %.1f years, want 10", years)
	}
	if !leaf.NotBefore.Before(time.Now()) {
		t.Errorf("NotBefore %v is not in the past", leaf.NotBefore)
	}
	if !slices.Contains(leaf.DNSNames, "localhost") {
		t.Errorf("DNS SANs %v lack localhost", leaf.DNSNames)
	}
	if h, err := os.Hostname(); err == nil && isDNSName(h) && !slices.Contains(leaf.DNSNames, h) {
		t.Errorf("DNS SANs %v lack host name %q", leaf.DNSNames, h)
	}
	for _, want := range []string{"127.0.0.1", "::1"} {
		if !slices.ContainsFunc(leaf.IPAddresses, func(ip net.IP) bool { return ip.Equal(net.ParseIP(want)) }) {
			t.Errorf("IP SANs %v lack %s", leaf.IPAddresses, want)
		}
	}
	for _, ip := range leaf.IPAddresses {
		if ip.IsLinkLocalUnicast() {
			t.Errorf("link-local %v in SANs", ip)
		}
	}
}

// TestSelfSignedServesTLS runs a real handshake against the created pair.
func TestSelfSignedServesTLS(t *testing.T) {
	cert, err := LoadOrCreate(t.TempDir(), "", "", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(cert.Certificate[0])
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	for _, name := range []string{"localhost", "127.0.0.1"} {
		t.Run(name, func(t *testing.T) {
			c, s := net.Pipe()
			defer c.Close()
			srv := tls.Server(s, &tls.Config{Certificates: []tls.Certificate{cert}})
			done := make(chan error, 1)
			go func() { done <- srv.Handshake(); s.Close() }()
			cli := tls.Client(c, &tls.Config{RootCAs: pool, ServerName: name})
			if err := cli.Handshake(); err != nil {
				t.Fatalf("client handshake: %v", err)
			}
			if err := <-done; err != nil {
				t.Fatalf("server handshake: %v", err)
			}
		})
	}
}

func TestFingerprint(t *testing.T) {
	cert, err := LoadOrCreate(t.TempDir(), "", "", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(cert.Certificate[0])
	want := strings.ToUpper(hex.EncodeToString(sum[:]))
	got := Fingerprint(cert)
	if strings.ReplaceAll(got, ":", "") != want || len(got) != 95 {
		t.Errorf("Fingerprint = %s, want %s with colons", got, want)
	}
	if Fingerprint(tls.Certificate{}) != "" {
		t.Error("empty certificate has a fingerprint")
	}
}

func TestExplicitFilesLoaded(t *testing.T) {
	src := t.TempDir()
	want, err := LoadOrCreate(src, "", "", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(t.TempDir(), "data")
	got, err := LoadOrCreate(dataDir, filepath.Join(src, "tls", "cert.pem"), filepath.Join(src, "tls", "key.pem"),
		slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if Fingerprint(got) != Fingerprint(want) {
		t.Error("explicit files not the ones loaded")
	}
	if _, err := os.Stat(dataDir); !errors.Is(err, os.ErrNotExist) {
		t.Error("self-signed pair created although files were given")
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	for _, d := range []string{a, b} {
		if _, err := LoadOrCreate(d, "", "", slog.New(slog.DiscardHandler)); err != nil {
			t.Fatal(err)
		}
	}
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not pem"), 0o600); err != nil {
		t.Fatal(err)
	}
	certA, keyA, keyB := filepath.Join(a, "tls", "cert.pem"), filepath.Join(a, "tls", "key.pem"), filepath.Join(b, "tls", "key.pem")
	missing := filepath.Join(dir, "missing.pem")
	tests := []struct {
		name, cert, key string
		wantInMsg       []string
	}{
		{"missing cert", missing, keyA, []string{missing, keyA}},
		{"missing key", certA, missing, []string{certA, missing}},
		{"garbage cert", garbage, keyA, []string{garbage}},
		{"garbage key", certA, garbage, []string{garbage}},
		{"key of another cert", certA, keyB, []string{certA, keyB}},
		{"only cert given", certA, "", []string{"both"}},
		{"only key given", "", keyA, []string{"both"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadOrCreate(t.TempDir(), tt.cert, tt.key, slog.New(slog.DiscardHandler))
			if !errors.Is(err, ErrLoad) {
				t.Fatalf("err = %v, want ErrLoad", err)
			}
			for _, w := range tt.wantInMsg {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
		})
	}
}

func TestBrokenSelfSignedPairNotOverwritten(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, certFile, keyFile string)
		want   string
	}{
		{"key missing", func(t *testing.T, _, keyFile string) { must(t, os.Remove(keyFile)) }, "only one of"},
		{"cert missing", func(t *testing.T, certFile, _ string) { must(t, os.Remove(certFile)) }, "only one of"},
		{"cert corrupt", func(t *testing.T, certFile, _ string) { must(t, os.WriteFile(certFile, []byte("x"), 0o644)) }, "delete both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dataDir := t.TempDir()
			if _, err := LoadOrCreate(dataDir, "", "", slog.New(slog.DiscardHandler)); err != nil {
				t.Fatal(err)
			}
			certFile, keyFile := filepath.Join(dataDir, "tls", "cert.pem"), filepath.Join(dataDir, "tls", "key.pem")
			tt.damage(t, certFile, keyFile)
			_, err := LoadOrCreate(dataDir, "", "", slog.New(slog.DiscardHandler))
			if !errors.Is(err, ErrLoad) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrLoad containing %q", err, tt.want)
			}
		})
	}
}

func TestCreateFailsWhenDataDirUnusable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	must(t, os.WriteFile(file, nil, 0o600))
	if _, err := LoadOrCreate(file, "", "", slog.New(slog.DiscardHandler)); !errors.Is(err, ErrCreate) {
		t.Fatalf("err = %v, want ErrCreate", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s mode = %v, want %v", path, got, want)
	}
}
