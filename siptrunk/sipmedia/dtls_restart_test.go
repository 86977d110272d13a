package sipmedia

import "testing"

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
