package siptrunk

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	kamailioSIP = "127.0.0.2:5080" // UDP and TCP
	kamailioTLS = "127.0.0.2:5081"
)

// kamailio is a running kamailio (testdata/kamailio.cfg) with a TLS
// certificate from a CA the test made.
type kamailio struct {
	t   *testing.T
	dir string
	cfg string
	out *lockedBuffer
	cmd *exec.Cmd
	// CA is the PEM file of the test CA; Cert/Key are a certificate for
	// 127.0.0.1 from it (our side's TLS listener).
	CA, Cert, Key string
}

// startKamailio writes the config and certificates and runs kamailio
// until it answers OPTIONS; it stops in t.Cleanup.
func startKamailio(t *testing.T) *kamailio {
	t.Helper()
	k := &kamailio{t: t, dir: t.TempDir()}
	tmpl, err := os.ReadFile("testdata/kamailio.cfg")
	must(t, err)
	k.cfg = filepath.Join(k.dir, "kamailio.cfg")
	must(t, os.WriteFile(k.cfg, []byte(strings.ReplaceAll(string(tmpl), "TESTDIR", k.dir)), 0o600))
	k.writeCerts()
	t.Cleanup(k.stop) // before start: a failed start must not leak kamailio
	k.start()
	return k
}

// start runs the process and waits until it answers OPTIONS.
func (k *kamailio) start() {
	k.t.Helper()
	k.out = &lockedBuffer{}
	k.cmd = exec.Command("kamailio", "-f", k.cfg, "-DD", "-E", "-m", "32", "-M", "4", "-Y", k.dir)
	k.cmd.Stdout, k.cmd.Stderr = k.out, k.out
	// Its own process group, so stop reaches the worker processes it forks
	// even if the main process dies first; WaitDelay so a worker holding
	// the output pipe cannot block Wait.
	k.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	k.cmd.WaitDelay = 2 * time.Second
	must(k.t, k.cmd.Start())
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if optionsPing(kamailioSIP) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	k.t.Fatalf("kamailio did not answer OPTIONS:\n%s", k.out)
}

// stop terminates kamailio and its workers (idempotent): SIGTERM to the
// process group, SIGKILL to the group after 3 s.
func (k *kamailio) stop() {
	if k.cmd == nil || k.cmd.Process == nil {
		return
	}
	pgid := k.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = k.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-done
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL) // workers still exiting
	k.cmd = nil
}

// Output is kamailio's log since the last start.
func (k *kamailio) Output() string { return k.out.String() }

// writeCerts makes a CA, a certificate for kamailio (127.0.0.2,
// kamailio.test) and one for our side (127.0.0.1), and kamailio's tls.cfg.
func (k *kamailio) writeCerts() {
	k.t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(k.t, err)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "xphone test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	must(k.t, err)
	caCert, err := x509.ParseCertificate(caDER)
	must(k.t, err)
	k.CA = k.writePEM("ca.pem", "CERTIFICATE", caDER)
	k.leaf(caCert, caKey, "kamailio", "kamailio.test", "127.0.0.2")
	k.Cert, k.Key = k.leaf(caCert, caKey, "xphone", "xphone.test", "127.0.0.1")
	tlsCfg := "[server:default]\nmethod = TLSv1.2+\nverify_certificate = no\nrequire_certificate = no\n" +
		"private_key = " + k.dir + "/kamailio.key\ncertificate = " + k.dir + "/kamailio.pem\n\n" +
		"[client:default]\nmethod = TLSv1.2+\nverify_certificate = no\nrequire_certificate = no\n"
	must(k.t, os.WriteFile(filepath.Join(k.dir, "tls.cfg"), []byte(tlsCfg), 0o600))
}

// leaf writes NAME.pem and NAME.key signed by the CA.
func (k *kamailio) leaf(ca *x509.Certificate, caKey *ecdsa.PrivateKey, name, dns, ip string) (string, string) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(k.t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: dns},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{dns},
		IPAddresses: []net.IP{net.ParseIP(ip)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	must(k.t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	must(k.t, err)
	return k.writePEM(name+".pem", "CERTIFICATE", der), k.writePEM(name+".key", "EC PRIVATE KEY", keyDER)
}

func (k *kamailio) writePEM(name, typ string, der []byte) string {
	p := filepath.Join(k.dir, name)
	must(k.t, os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600))
	return p
}
