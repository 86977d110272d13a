package siptrunk

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// netnsEnv marks the test binary as already running inside its private
// network namespace.
const netnsEnv = "XPHONE_SIPTRUNK_NETNS"

// TestMain re-executes the test binary under `unshare -n` with lo up and
// 127.0.0.2 added (TESTING.md: baresip's ICE ignores 127.0.0.1 and would
// otherwise use the machine's real interface). Nothing can leave the
// machine. It fails, never skips, when that is impossible.
func TestMain(m *testing.M) {
	if os.Getenv(netnsEnv) == "1" {
		os.Exit(m.Run())
	}
	for _, tool := range []string{"unshare", "ip", "baresip", "kamailio"} {
		if _, err := exec.LookPath(tool); err != nil {
			fmt.Fprintf(os.Stderr, "siptrunk tests need %s on PATH: run scripts/install-deps.sh as root (%v)\n", tool, err)
			os.Exit(2)
		}
	}
	script := `ip link set lo up && ip addr add 127.0.0.2/8 dev lo && exec "$0" "$@"`
	args := append([]string{"-n", "--", "sh", "-c", script}, os.Args...)
	cmd := exec.Command("unshare", args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), netnsEnv+"=1")
	if err := cmd.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			os.Exit(ee.ExitCode())
		}
		fmt.Fprintf(os.Stderr, "siptrunk tests: cannot create a network namespace (need root / CAP_SYS_ADMIN): %v\n", err)
		os.Exit(2)
	}
	os.Exit(0)
}
