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
const password = "bench"

// server is the xphone process under test.
type server struct {
	cmd     *exec.Cmd
	url     string
	metrics string // http://127.0.0.1:PORT/metrics (metrics.listen)
	dir     string
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// startServer builds (unless given) and starts xphone with n extensions
// and room 800 on a free loopback port, and waits until it answers.
func startServer(ctx context.Context, o options) (*server, error) {
	dir, err := os.MkdirTemp("", "confload")
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
	if err := writeConfig(cfgPath, o); err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	metricsAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	args := []string{"-config", cfgPath, "-data-dir", filepath.Join(dir, "data"), "-http-addr", addr, "-metrics-addr", metricsAddr}
	if o.pprof != "" {
		args = append(args, "-pprof-addr", o.pprof)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stderr, _ = os.Create(filepath.Join(dir, "server.log"))
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	s := &server{cmd: cmd, url: "https://" + addr + "/xphone/", metrics: "http://" + metricsAddr + "/metrics", dir: dir}
	if err := waitReady(ctx, addr); err != nil {
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
		return "", fmt.Errorf("build xphone: %w", err)
	}
	return bin, nil
}

// writeConfig makes extensions 2000.. sharing one cheap bcrypt hash.
func writeConfig(path string, o options) error {
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		return err
	}
	mode := "none"
	if o.video {
		mode = "all"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "media: {interfaces: [lo]}\nlog: {level: warn}\nlogin: {max_failures: 100000, extension_max_failures: 100000, slow_after: 100000}\n")
	fmt.Fprintf(&b, "policy: {mixer: {listener_frame_ms: %d}}\n", o.listenerFrame)
	fmt.Fprintf(&b, "rooms: [{number: \"800\", name: Load, video: %s}]\nextensions:\n", mode)
	for i := 0; i < o.n+o.late; i++ {
		fmt.Fprintf(&b, "  - {number: \"%d\", name: P%d, password_hash: '%s', xphone: true}\n", 2000+i, i, hash)
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func waitReady(ctx context.Context, addr string) error {
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

func (s *server) stop() {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = s.cmd.Process.Kill()
			<-done
		}
	}
	_ = os.RemoveAll(s.dir)
}
