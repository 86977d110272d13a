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

// TestClientHelloRandom reads the random of a DTLS ClientHello record and
// nothing else.
func TestClientHelloRandom(t *testing.T) {
	rec := make([]byte, 13+12+2+32+10)
	rec[0] = 22 // handshake
	rec[1], rec[2] = 0xfe, 0xfd
	rec[13] = 1 // client_hello
	for i := range 32 {
		rec[27+i] = byte(i + 1)
	}
	r, ok := clientHelloRandom(rec)
	if !ok || r[0] != 1 || r[31] != 32 {
		t.Fatalf("random %v, ok %v", r[:4], ok)
	}
	for name, mod := range map[string]func([]byte){
		"not a handshake":  func(b []byte) { b[0] = 23 },
		"epoch 1":          func(b []byte) { b[4] = 1 },
		"server hello":     func(b []byte) { b[13] = 2 },
		"a later fragment": func(b []byte) { b[21] = 8 },
	} {
		b := append([]byte(nil), rec...)
		mod(b)
		if _, ok := clientHelloRandom(b); ok {
			t.Errorf("%s taken for a ClientHello", name)
		}
	}
	if _, ok := clientHelloRandom(rec[:40]); ok {
		t.Error("a truncated record taken for a ClientHello")
	}
}
