package deploy

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// maxExposure is the highest `systemd-analyze security` score accepted
// (0 safest … 10 unsafe; up to 2.0 is rated "OK").
const maxExposure = 2.0

// unit is the shipped unit's [Service] keys with every value, in order.
func unit(t *testing.T) (text string, service map[string][]string) {
	t.Helper()
	data, err := os.ReadFile("xphone.service")
	if err != nil {
		t.Fatal(err)
	}
	service = map[string][]string{}
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "["):
			section = line
		case section == "[Service]":
			k, v, _ := strings.Cut(line, "=")
			service[k] = append(service[k], v)
		}
	}
	return string(data), service
}

func systemdAnalyze(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Fatalf("systemd-analyze not found: apt-get install -y systemd (scripts/install-deps.sh): %v", err)
	}
	return path
}

// buildXphone builds the binary the unit starts into dir.
func buildXphone(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "xphone")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "../cmd/xphone").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestUnitIsLeastPrivilege checks the promises docs/security.md makes about
// the unit: its own user, only CAP_NET_BIND_SERVICE, a read-only system
// with the data directory as the one writable path, no new privileges,
// restart on failure.
func TestUnitIsLeastPrivilege(t *testing.T) {
	_, s := unit(t)
	want := map[string]string{
		"User": "xphone", "Group": "xphone", "AmbientCapabilities": "CAP_NET_BIND_SERVICE",
		"CapabilityBoundingSet": "CAP_NET_BIND_SERVICE", "NoNewPrivileges": "yes", "ProtectSystem": "strict",
		"ProtectHome": "yes", "PrivateTmp": "yes", "Restart": "on-failure", "StateDirectory": "xphone",
		"MemoryDenyWriteExecute": "yes",
	}
	for k, v := range want {
		if got := s[k]; len(got) != 1 || got[0] != v {
			t.Errorf("%s = %q, want exactly %q", k, got, v)
		}
	}
	for _, k := range []string{"ReadWritePaths", "DynamicUser", "PermissionsStartOnly", "ReadWriteDirectories"} {
		if _, ok := s[k]; ok {
			t.Errorf("%s would add a writable path or a privilege; the data directory (StateDirectory) is the only one", k)
		}
	}
	exec := strings.Fields(strings.Join(s["ExecStart"], " "))
	if len(exec) == 0 || !strings.Contains(strings.Join(exec, " "), "-data-dir /var/lib/xphone") {
		t.Errorf("ExecStart %q does not keep its data in StateDirectory /var/lib/xphone", exec)
	}
}

// TestUnitVerifies runs `systemd-analyze verify` on the unit (pointing
// ExecStart at a freshly built xphone, which must accept its arguments) and
// `systemd-analyze security`, whose exposure must stay at most maxExposure.
func TestUnitVerifies(t *testing.T) {
	analyze := systemdAnalyze(t)
	text, s := unit(t)
	dir := t.TempDir()
	bin := buildXphone(t, dir)
	args := strings.Fields(s["ExecStart"][0])
	help, _ := exec.Command(bin, "-h").CombinedOutput()
	for _, a := range args[1:] {
		if strings.HasPrefix(a, "-") && !strings.Contains(string(help), "\n  "+a+" ") {
			t.Errorf("ExecStart passes %s, which xphone -h does not list:\n%s", a, help)
		}
	}
	local := filepath.Join(dir, "xphone.service")
	if err := os.WriteFile(local, []byte(strings.ReplaceAll(text, args[0], bin)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", local).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err = exec.Command(analyze, "security", "--offline=true", local).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`Overall exposure level for xphone\.service: ([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no exposure level in:\n%s", out)
	}
	if level, _ := strconv.ParseFloat(string(m[1]), 64); level > maxExposure {
		t.Fatalf("exposure %.1f, want at most %.1f:\n%s", level, maxExposure, out)
	}
	t.Logf("systemd-analyze security: exposure %s", m[1])
}
