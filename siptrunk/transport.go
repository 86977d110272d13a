package siptrunk

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"

	"github.com/emiago/sipgo/sip"
)

// transport is the trunk's SIP transport: "udp" (default), "tcp" or "tls".
func (t *Trunk) transport() string {
	if tr := t.cfg.Trunk.Transport; tr != "" {
		return tr
	}
	return "udp"
}

// withTransport adds ;transport= to u for TCP and TLS, so sipgo sends the
// request over that transport and peers answer and call back over it.
func (t *Trunk) withTransport(u sip.Uri) sip.Uri {
	if tr := t.transport(); tr != "udp" {
		u.UriParams = sip.NewParams()
		u.UriParams.Add("transport", tr)
	}
	return u
}

// peerURI is the trunk's request-URI for user (empty: the trunk itself).
func (t *Trunk) peerURI(user string) sip.Uri {
	return t.withTransport(sip.Uri{User: user, Host: t.peer.Host, Port: t.peer.Port})
}

// clientTLS is the configuration for TLS connections we open to the PBX:
// its certificate is verified against ca_file (or the system roots) and
// server_name (or the address's host).
func (t *Trunk) clientTLS() (*tls.Config, error) {
	c := t.cfg.Trunk.TLS
	conf := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: c.ServerName, InsecureSkipVerify: c.InsecureSkipVerify} //nolint:gosec // opt-in for labs, documented
	if conf.ServerName == "" {
		conf.ServerName = t.peer.Host
	}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("%w: tls.ca_file: %v", ErrConfig, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%w: tls.ca_file %s has no PEM certificate", ErrConfig, c.CAFile)
		}
		conf.RootCAs = pool
	}
	if c.Cert != "" {
		cert, err := tls.LoadX509KeyPair(c.Cert, c.Key)
		if err != nil {
			return nil, fmt.Errorf("%w: tls.cert/key: %v", ErrConfig, err)
		}
		conf.Certificates = []tls.Certificate{cert}
	}
	return conf, nil
}

// serve opens the listening socket for the trunk's transport and serves
// it in an owned goroutine, behind the front door (frontdoor.go). For UDP it returns once sipgo reads the
// socket, so requests leave from it; TCP and TLS connections we open use
// an ephemeral port (Via says so), and the listener takes the PBX's own
// connections to our Contact.
func (t *Trunk) serve(tlsConf *tls.Config) error {
	switch t.transport() {
	case "udp":
		conn, err := net.ListenPacket("udp4", t.listen)
		if err != nil {
			return err
		}
		t.conn, t.listen = conn, conn.LocalAddr().String()
		if err := t.newUA(tlsConf); err != nil {
			return err
		}
		ready := newDoorConn(conn, t.door, t.countReply)
		t.goOwned(func() { _ = t.srv.ServeUDP(ready) })
		<-ready.reading
		return nil
	case "tcp", "tls":
		ln, err := net.Listen("tcp4", t.listen)
		if err != nil {
			return err
		}
		t.ln, t.listen = ln, ln.Addr().String()
		if err := t.newUA(tlsConf); err != nil {
			return err
		}
		if t.transport() == "tcp" {
			door := &doorListener{Listener: ln, door: t.door, filter: true, framing: true, onReply: t.countReply}
			t.goOwned(func() { _ = t.srv.ServeTCP(door) })
			return nil
		}
		if len(tlsConf.Certificates) == 0 {
			t.log.Warn("SIP TLS trunk without tls.cert: the PBX cannot open connections to us")
			t.ln = nil
			return ln.Close()
		}
		// Strangers are turned away before the TLS handshake; messages are
		// judged above TLS.
		filtered := &doorListener{Listener: ln, door: t.door, filter: true}
		tln := tls.NewListener(filtered, &tls.Config{MinVersion: tls.VersionTLS12, Certificates: tlsConf.Certificates})
		door := &doorListener{Listener: tln, door: t.door, framing: true, onReply: t.countReply}
		t.goOwned(func() { _ = t.srv.ServeTLS(door) })
		return nil
	}
	return fmt.Errorf("%w: transport %q", ErrConfig, t.transport())
}

// maxUDPPayload is the largest UDP datagram over IPv4.
const maxUDPPayload = 65507

// sipgo refuses to send UDP messages above UDPMTUSize-200 bytes. RFC 3261
// §18.1.1 moves large requests to TCP (ours stay below 1300 bytes: SDP is
// trimmed), but a response goes back the way its request came (§18.2.2)
// whatever its size: a 3.5 kB INVITE with 33 Vias (RFC 4475 longreq)
// that arrived over UDP is answered over UDP, in IP fragments, not
// dropped. Package-wide, like the tracer in siptrace.go.
func init() { sip.UDPMTUSize = maxUDPPayload + 200 }
