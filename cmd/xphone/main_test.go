package main

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestHashPasswordPrintsAVerifiableHash(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"hash-password"}, strings.NewReader("s3cret\n"), &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	hash := strings.TrimSpace(out.String())
	if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte("s3cret")); err != nil {
		t.Fatalf("printed %q does not verify: %v", hash, err)
	}
	if code := run([]string{"hash-password"}, strings.NewReader("\n"), &out, &errOut); code == 0 {
		t.Fatal("empty password accepted")
	}
}

func TestCheckConfig(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"check-config", "../../configs/xphone.example.yaml"}, nil, &out, &errOut); code != 0 {
		t.Fatalf("example config rejected: %s", errOut.String())
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	text := "http: {listn: ':81'}\nextensions: [{number: '12a', xphone: true}]\n"
	if err := os.WriteFile(bad, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	errOut.Reset()
	if code := run([]string{"check-config", bad}, nil, &out, &errOut); code == 0 {
		t.Fatal("bad config accepted")
	}
	if !strings.Contains(errOut.String(), "listn") {
		t.Fatalf("error does not name the unknown key: %s", errOut.String())
	}
}

// TestCheckConfigWarnsAboutLocalNumbersInTheDialPlan: a room a dial rule
// also matches is valid (the room wins) but reported.
func TestCheckConfigWarnsAboutLocalNumbersInTheDialPlan(t *testing.T) {
	path := filepath.Join(t.TempDir(), "overlap.yaml")
	text := "rooms: [{number: '800'}]\ntrunks: [{name: pbx, address: '192.0.2.1:5060'}]\n" +
		"dialplan: [{pattern: '8.', trunk: pbx, permission: national}]\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"check-config", path}, nil, &out, &errOut); code != 0 {
		t.Fatalf("overlap rejected (exit %d): %s", code, errOut.String())
	}
	if !strings.Contains(errOut.String(), `warning: rooms[0].number "800" also matches dialplan[0] pattern "8."`) {
		t.Errorf("no overlap warning: %q", errOut.String())
	}
}

func TestBindFailureNamesTheFlagToChange(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var out, errOut bytes.Buffer
	code := run([]string{"-data-dir", t.TempDir(), "-http-addr", ln.Addr().String()}, nil, &out, &errOut)
	if code == 0 {
		t.Fatal("started on a busy port")
	}
	for _, want := range []string{"-http-addr", "http.listen", ln.Addr().String()} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("message lacks %q: %s", want, errOut.String())
		}
	}
}
