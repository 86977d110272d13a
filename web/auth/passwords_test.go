package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gopkg.in/yaml.v3"

	"xphone/configs"
)

// logRecorder collects JSON log lines written by a slog.Logger.
type logRecorder struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (r *logRecorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.Write(p)
}

func (r *logRecorder) logger() *slog.Logger { return slog.New(slog.NewJSONHandler(r, nil)) }

// records returns the logged lines whose message is msg.
func (r *logRecorder) records(t *testing.T, msg string) []map[string]any {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(r.buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("bad log line %q: %v", line, err)
		}
		if m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

const genMsg = "generated password for extension"

func mustHash(t *testing.T, pw string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

func testExtensions(t *testing.T) []configs.Extension {
	return []configs.Extension{
		{Number: "1001", Name: "Alice", Xphone: true, Admin: true}, // generated
		{Number: "1002", Name: "Bob", Password: "bob-secret", Xphone: true},
		{Number: "1003", Name: "Carol", PasswordHash: mustHash(t, "carol-secret"), Xphone: true},
		{Number: "1004", Name: "Desk", Password: "desk-secret"}, // not Xphone
		{Number: "1005", Name: "Max", Password: strings.Repeat("m", 72), Xphone: true},
	}
}

func readPasswordsFile(t *testing.T, dir string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, PasswordsFile))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestStoreCheck(t *testing.T) {
	dir := t.TempDir()
	s, err := NewStore(testExtensions(t), dir, slog.New(slog.DiscardHandler), WithCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	generated := readPasswordsFile(t, dir)["1001"]
	tests := []struct {
		name, ext, pw string
		wantName      string // "" = ErrBadCredentials
	}{
		{"generated password", "1001", generated, "Alice"},
		{"plain password", "1002", "bob-secret", "Bob"},
		{"hash configured", "1003", "carol-secret", "Carol"},
		{"72-byte password", "1005", strings.Repeat("m", 72), "Max"},
		{"wrong password", "1002", "bob-secreT", ""},
		{"wrong password for hash", "1003", "bob-secret", ""},
		{"empty password", "1002", "", ""},
		{"another extension's password", "1001", "bob-secret", ""},
		{"unknown extension", "9999", "bob-secret", ""},
		{"empty extension", "", "", ""},
		{"not enabled for xphone, wrong password", "1004", "desk-secreT", ""},
		{"over 72 bytes with right prefix", "1005", strings.Repeat("m", 73), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ext, err := s.Check(tt.ext, tt.pw)
			if tt.wantName == "" {
				if !errors.Is(err, ErrBadCredentials) || ext != (configs.Extension{}) {
					t.Fatalf("Check = %+v, %v; want ErrBadCredentials", ext, err)
				}
				return
			}
			if err != nil || ext.Number != tt.ext || ext.Name != tt.wantName {
				t.Fatalf("Check = %+v, %v", ext, err)
			}
			if ext.Password != "" || ext.PasswordHash != "" {
				t.Errorf("Check leaked secrets: %+v", ext)
			}
		})
	}
}

// TestCheckNoAccess: the right password of an extension without Xphone
// access is told apart from a wrong one (and from an unknown extension).
func TestCheckNoAccess(t *testing.T) {
	s, err := NewStore(testExtensions(t), t.TempDir(), slog.New(slog.DiscardHandler), WithCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	if ext, err := s.Check("1004", "desk-secret"); !errors.Is(err, ErrNoAccess) || ext != (configs.Extension{}) {
		t.Fatalf("right password without access: %+v, %v; want ErrNoAccess", ext, err)
	}
	if _, err := s.Check("1004", "desk-secreT"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("wrong password without access: %v; want ErrBadCredentials", err)
	}
}

func TestStoreLookup(t *testing.T) {
	s, err := NewStore(testExtensions(t), t.TempDir(), slog.New(slog.DiscardHandler), WithCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ext        string
		wantOK     bool
		wantXphone bool
	}{{"1001", true, true}, {"1004", true, false}, {"9999", false, false}}
	for _, tt := range tests {
		e, ok := s.Lookup(tt.ext)
		if ok != tt.wantOK || e.Xphone != tt.wantXphone || (ok && e.Number != tt.ext) {
			t.Errorf("Lookup(%s) = %+v, %v", tt.ext, e, ok)
		}
		if e.Password != "" || e.PasswordHash != "" {
			t.Errorf("Lookup(%s) leaked secrets", tt.ext)
		}
	}
	if e, _ := s.Lookup("1001"); !e.Admin {
		t.Error("Lookup lost the admin flag")
	}
}

func TestGeneratedPasswordsPersisted(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "xphone") // does not exist yet
	rec := &logRecorder{}
	exts := testExtensions(t)
	if _, err := NewStore(exts, dir, rec.logger(), WithCost(bcrypt.MinCost)); err != nil {
		t.Fatal(err)
	}
	first := readPasswordsFile(t, dir)
	if len(first) != 1 || len(first["1001"]) != 12 || strings.Trim(first["1001"], generatedAlphabet) != "" {
		t.Fatalf("passwords file = %v, want one 12-char password for 1001", first)
	}
	assertMode(t, dir, 0o700)
	assertMode(t, filepath.Join(dir, PasswordsFile), 0o600)
	logs := rec.records(t, genMsg)
	if len(logs) != 1 || logs[0]["ext"] != "1001" || logs[0]["password"] != first["1001"] ||
		logs[0]["file"] != filepath.Join(dir, PasswordsFile) || logs[0]["level"] != "INFO" {
		t.Fatalf("generation log = %v", logs)
	}

	// Second start: same password, nothing logged; a new extension gets its own.
	exts = append(exts, configs.Extension{Number: "1006", Xphone: true})
	s, err := NewStore(exts, dir, rec.logger(), WithCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	second := readPasswordsFile(t, dir)
	if second["1001"] != first["1001"] || second["1006"] == "" || second["1006"] == second["1001"] {
		t.Fatalf("after restart passwords = %v, first = %v", second, first)
	}
	if _, err := s.Check("1001", first["1001"]); err != nil {
		t.Errorf("reused password rejected: %v", err)
	}
	if logs := rec.records(t, genMsg); len(logs) != 2 || logs[1]["ext"] != "1006" {
		t.Errorf("want exactly one more log line, for 1006: %v", logs)
	}
	assertMode(t, filepath.Join(dir, PasswordsFile), 0o600)
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

func TestNoPasswordFileWhenNotNeeded(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	exts := []configs.Extension{{Number: "1002", Password: "x", Xphone: true}, {Number: "1004"}}
	if _, err := NewStore(exts, dir, slog.New(slog.DiscardHandler), WithCost(bcrypt.MinCost)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("data directory created without need: %v", err)
	}
}

func TestPasswordFileLooseModeTightened(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, PasswordsFile)
	if err := os.WriteFile(file, []byte("\"1001\": abcdefghjkmn\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(file, 0o644); err != nil {
		t.Fatal(err)
	}
	rec := &logRecorder{}
	s, err := NewStore([]configs.Extension{{Number: "1001", Xphone: true}}, dir, rec.logger(), WithCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	assertMode(t, file, 0o600)
	if _, err := s.Check("1001", "abcdefghjkmn"); err != nil {
		t.Errorf("stored password rejected: %v", err)
	}
	if len(rec.records(t, genMsg)) != 0 {
		t.Error("password regenerated although stored")
	}
}

func TestNewStoreErrors(t *testing.T) {
	tests := []struct {
		name  string
		exts  []configs.Extension
		setup func(t *testing.T, dir string) string // returns the data directory
		want  error
	}{
		{"corrupt password file", []configs.Extension{{Number: "1001", Xphone: true}},
			func(t *testing.T, dir string) string {
				if err := os.WriteFile(filepath.Join(dir, PasswordsFile), []byte("[not a map"), 0o600); err != nil {
					t.Fatal(err)
				}
				return dir
			}, ErrPasswordFile},
		{"data dir is a file", []configs.Extension{{Number: "1001", Xphone: true}},
			func(t *testing.T, dir string) string {
				if err := os.WriteFile(filepath.Join(dir, "sub"), nil, 0o600); err != nil {
					t.Fatal(err)
				}
				return filepath.Join(dir, "sub")
			}, ErrPasswordFile},
		{"bad hash", []configs.Extension{{Number: "1003", PasswordHash: "$2a$nonsense", Xphone: true}}, nil, ErrBadHash},
		{"password too long", []configs.Extension{{Number: "1002", Password: strings.Repeat("x", 73), Xphone: true}}, nil, ErrBadPassword},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.setup != nil {
				dir = tt.setup(t, dir)
			}
			_, err := NewStore(tt.exts, dir, slog.New(slog.DiscardHandler), WithCost(bcrypt.MinCost))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestDummyHashMatchesHighestCost(t *testing.T) {
	h, err := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost+2)
	if err != nil {
		t.Fatal(err)
	}
	exts := []configs.Extension{{Number: "1", PasswordHash: string(h), Xphone: true}}
	s, err := NewStore(exts, t.TempDir(), slog.New(slog.DiscardHandler), WithCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	if cost, _ := bcrypt.Cost(s.dummy); cost != bcrypt.MinCost+2 {
		t.Errorf("dummy cost = %d, want %d", cost, bcrypt.MinCost+2)
	}
}

// TestCheckTimingSimilar checks that rejecting an unknown or disabled
// extension costs a bcrypt comparison like a wrong password does.
func TestCheckTimingSimilar(t *testing.T) {
	const cost = 6
	exts := []configs.Extension{{Number: "1", Password: "pw", Xphone: true}, {Number: "2", Password: "pw"}}
	s, err := NewStore(exts, t.TempDir(), slog.New(slog.DiscardHandler), WithCost(cost))
	if err != nil {
		t.Fatal(err)
	}
	fastest := func(ext string) time.Duration {
		best := time.Hour
		for range 3 {
			start := time.Now()
			_, _ = s.Check(ext, "wrong")
			best = min(best, time.Since(start))
		}
		return best
	}
	known := fastest("1")
	for _, ext := range []string{"404", "2"} {
		if d := fastest(ext); d < known/4 {
			t.Errorf("Check(%s) took %v, a wrong password %v: timing reveals the extension", ext, d, known)
		}
	}
}

func TestHashPassword(t *testing.T) {
	h, err := HashPassword("s3cret")
	if err != nil {
		t.Fatal(err)
	}
	if cost, err := bcrypt.Cost([]byte(h)); err != nil || cost != bcrypt.DefaultCost {
		t.Errorf("cost = %d, %v", cost, err)
	}
	if bcrypt.CompareHashAndPassword([]byte(h), []byte("s3cret")) != nil {
		t.Error("hash does not verify")
	}
	s, err := NewStore([]configs.Extension{{Number: "1", PasswordHash: h, Xphone: true}}, t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Check("1", "s3cret"); err != nil {
		t.Errorf("store rejects HashPassword output: %v", err)
	}
	for _, bad := range []string{"", strings.Repeat("x", 73)} {
		if _, err := HashPassword(bad); !errors.Is(err, ErrBadPassword) {
			t.Errorf("HashPassword(%d bytes) err = %v, want ErrBadPassword", len(bad), err)
		}
	}
}
