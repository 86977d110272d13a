package siptrunk

import (
	"strings"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// Message sizes on UDP (RFC 3261 §18.1.1). A request larger than 1300
// bytes (the path MTU being unknown) MUST go over a congestion-controlled
// transport, so a UDP trunk sends such a request over TCP to the same
// address; every SIP element implements TCP (RFC 3261 §18). An ICE +
// DTLS-SRTP INVITE with its digest Authorization is ≈ 1.3 kB, and
// Asterisk's own INVITE ≈ 1.5 kB.
//
// sipgo v1.7.3 refuses to send any UDP message over 1300 bytes and reads
// at most 32 kB per datagram; RFC 3261 wants up to 65,535 bytes handled.
// Its limits are raised once: our requests are kept under the limit here,
// responses go back the way the request came (RFC 3261 §18.2.2 sets no
// size limit for them), and inbound datagrams of any legal size are read.
func init() {
	sip.UDPMTUSize = 1 << 16
	sip.TransportBufferReadSize = 1<<16 - 1
}

// udpRequestLimit is RFC 3261's 1300 bytes.
const udpRequestLimit = 1300

// builtHeaders is room for what sipgo adds to a request we build
// (Via, Call-ID, CSeq, Max-Forwards, Contact, Content-Length).
const builtHeaders = 300

// overUDPLimit reports whether req, with extra bytes still to be added,
// must leave a UDP trunk over TCP.
func (t *Trunk) overUDPLimit(req *sip.Request, extra int) bool {
	return overUDPLimit(t.transport(), req, extra)
}

// overUDPLimit reports whether req, with extra bytes still to be added,
// must leave a trunk of transport over TCP.
func overUDPLimit(transport string, req *sip.Request, extra int) bool {
	return transport == "udp" && req.Transport() == "UDP" && len(req.String())+extra > udpRequestLimit
}

// sendOverTCP makes req go over TCP to its destination, from an ephemeral
// port (sipgo writes the real one into the Via it adds). Its Contact is
// unchanged: the peer's requests still come to our UDP socket.
func sendOverTCP(req *sip.Request) {
	req.SetTransport("TCP")
	req.Laddr = sip.Addr{}
}

// buildRequest is sipgo's build of a new request, except that one moved to
// TCP keeps leaving from an ephemeral port: sipgo copies the UDP listening
// address into every request it builds, and a connection bound to that
// port cannot be opened again to the same peer while the last one sits in
// TIME_WAIT (a minute after a trunk restart or reload).
func buildRequest(c *sipgo.Client, req *sip.Request) error {
	err := sipgo.ClientRequestBuild(c, req)
	if req.Transport() == "TCP" {
		req.Laddr = sip.Addr{}
	}
	return err
}

// authorizedSize is how long req becomes with the Authorization (or
// Proxy-Authorization) answering res's challenge for user/password.
func authorizedSize(req *sip.Request, res *sip.Response, user, password string) int {
	hdr, name := res.GetHeader("WWW-Authenticate"), "Authorization"
	if res.StatusCode == 407 {
		hdr, name = res.GetHeader("Proxy-Authenticate"), "Proxy-Authorization"
	}
	n := len(req.String())
	if hdr == nil {
		return n
	}
	chal, err := digest.ParseChallenge(hdr.Value())
	if err != nil {
		return n
	}
	chal.Algorithm = strings.ToUpper(chal.Algorithm)
	cred, err := digest.Digest(chal, digest.Options{Method: req.Method.String(), URI: req.Recipient.Addr(),
		Username: user, Password: password})
	if err != nil {
		return n
	}
	return n + len(name) + len(": ") + len(cred.String()) + len("\r\n")
}
