package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// password is every generated extension's password.
const password = "callload"

// firstExt is the first generated extension number.
const firstExt = 3000

// server is the xphone process under load.
type server struct {
	cmd     *exec.Cmd
	url     string // https://127.0.0.1:PORT/xphone/
	metrics string // http://127.0.0.1:PORT/metrics
	pprof   string // http://127.0.0.1:PORT/debug/pprof/
	dir     string
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// startServer builds xphone (unless o.binary is set), writes a config with
// o.extensions() extensions and a trunk to the fake PBX, and starts it.
func startServer(ctx context.Context, o options, pbxAddr, sipAddr string) (*server, error) {
	dir, err := os.MkdirTemp("", "callload")
	if err != nil {
		return nil, err
	}
	bin := o.binary
	if bin == "" {
		if bin, err = build(ctx, dir, o.libopus); err != nil {
			return nil, err
		}
	}
	cfgPath := filepath.Join(dir, "xphone.yaml")
	if err := writeConfig(cfgPath, o, pbxAddr, sipAddr); err != nil {
		return nil, err
	}
	addr, err := freeAddr("tcp")
	if err != nil {
		return nil, err
	}
	metricsAddr, err := freeAddr("tcp")
	if err != nil {
		return nil, err
	}
	pprofAddr, err := freeAddr("tcp")
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, "-config", cfgPath, "-data-dir", filepath.Join(dir, "data"),
		"-http-addr", addr, "-metrics-addr", metricsAddr, "-pprof-addr", pprofAddr)
	cmd.Stderr, _ = os.Create(filepath.Join(dir, "server.log"))
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	s := &server{cmd: cmd, url: "https://" + addr + "/xphone/", metrics: "http://" + metricsAddr + "/metrics",
		pprof: "http://" + pprofAddr + "/debug/pprof/", dir: dir}
	if err := waitListening(ctx, addr); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

func build(ctx context.Context, dir string, libopus bool) (string, error) {
	bin := filepath.Join(dir, "xphone")
	args := []string{"build", "-o", bin}
	if libopus {
		args = append(args, "-tags", "libopus nolibopusfile")
	}
	cmd := exec.CommandContext(ctx, "go", append(args, "./cmd/xphone")...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build xphone (run from the repository root or pass -binary): %w", err)
	}
	return bin, nil
}

// writeConfig: extensions firstExt.. with one cheap bcrypt hash and the
// national class, and trunk "pbx" (plain RTP, o.trunkCodec) for numbers "9…".
func writeConfig(path string, o options, pbxAddr, sipAddr string) error {
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("media: {interfaces: [lo]}\nlog: {level: warn}\n")
	// Every phone logs in from 127.0.0.1, many at once: no lock-out here.
	b.WriteString("login: {max_failures: 100000, extension_max_failures: 100000, slow_after: 100000}\n")
	fmt.Fprintf(&b, "trunks:\n  - {name: pbx, address: %q, listen: %q, media: rtp, ice: \"off\", codecs: [%s]}\n", pbxAddr, sipAddr, o.trunkCodec)
	b.WriteString("dialplan:\n  - {pattern: \"9.\", trunk: pbx, permission: national}\nextensions:\n")
	for i := 0; i < o.extensions(); i++ {
		fmt.Fprintf(&b, "  - {number: \"%d\", name: L%d, password_hash: '%s', xphone: true, permission: national}\n", firstExt+i, i, hash)
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

// freeAddr finds a free loopback port for network ("tcp" or "udp").
func freeAddr(network string) (string, error) {
	if network == "udp" {
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			return "", err
		}
		defer c.Close()
		return c.LocalAddr().String(), nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func waitListening(ctx context.Context, addr string) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("xphone did not listen on %s", addr)
}

// stop ends xphone (SIGINT: calls are hung up) and removes its directory
// unless keep.
func (s *server) stop() {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = s.cmd.Process.Kill()
			<-done
		}
	}
	_ = os.RemoveAll(s.dir)
}
