package siptrunk

import (
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
)

// TestUDPRequestLimit: a request that is (or, with the credentials
// answering a challenge, becomes) larger than 1300 bytes leaves a UDP trunk
// over TCP; smaller ones and other transports are left alone.
func TestUDPRequestLimit(t *testing.T) {
	req := func(body int) *sip.Request {
		r := sip.NewRequest(sip.INVITE, sip.Uri{User: "601", Host: "127.0.0.2", Port: 5062})
		r.SetBody([]byte(strings.Repeat("a", body)))
		return r
	}
	small, big := req(500), req(1200)
	if overUDPLimit("udp", small, builtHeaders) {
		t.Errorf("a %d-byte request goes over TCP", len(small.String()))
	}
	if !overUDPLimit("udp", big, builtHeaders) {
		t.Errorf("a %d-byte request stays on UDP", len(big.String())+builtHeaders)
	}
	if overUDPLimit("tcp", big, builtHeaders) {
		t.Error("a TCP trunk's request is re-routed")
	}
	sendOverTCP(big)
	if big.Transport() != "TCP" || big.Laddr.IP != nil {
		t.Errorf("after sendOverTCP: transport %s, laddr %v", big.Transport(), big.Laddr)
	}
	if overUDPLimit("udp", big, builtHeaders) {
		t.Error("a request already on TCP is counted again")
	}

	res := sip.NewResponseFromRequest(small, 401, "Unauthorized", nil)
	res.AppendHeader(sip.NewHeader("WWW-Authenticate",
		`Digest realm="asterisk",nonce="1796607172/df1abf79db582361fd0b698d0543a88e",opaque="632a5aa72eaec7f1",algorithm=MD5,qop="auth"`))
	n := authorizedSize(small, res, "xphone-trunk", "secret")
	if grown := n - len(small.String()); grown < 200 || grown > 400 {
		t.Errorf("Authorization adds %d bytes, want the ≈280 of a real one", grown)
	}
	if authorizedSize(small, sip.NewResponseFromRequest(small, 401, "Unauthorized", nil), "u", "p") != len(small.String()) {
		t.Error("a 401 without a challenge changes the size")
	}
}
