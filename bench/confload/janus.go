package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// janusServer is a Janus process (VideoRoom, HTTP API on loopback) run
// from the project's minimal configuration (bench/janus).
type janusServer struct {
	cmd  *exec.Cmd
	base string // http://127.0.0.1:PORT/janus
	dir  string
}

func (j *janusServer) pid() int { return j.cmd.Process.Pid }

// startJanus copies the configuration in cfgDir to a temporary folder with
// a free HTTP port, starts janus on it and waits until the API answers.
func startJanus(ctx context.Context, cfgDir string) (*janusServer, error) {
	dir, err := os.MkdirTemp("", "confload-janus")
	if err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	port := addr[strings.LastIndexByte(addr, ':')+1:]
	if err := copyJanusConfig(cfgDir, dir, port); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, "janus", "-F", dir, "-C", filepath.Join(dir, "janus.jcfg"))
	cmd.Stdout, _ = os.Create(filepath.Join(dir, "janus.log"))
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start janus (bench/janus/install.sh installs it): %w", err)
	}
	j := &janusServer{cmd: cmd, base: "http://" + addr + "/janus", dir: dir}
	if err := waitReady(ctx, addr); err != nil {
		j.stop()
		return nil, err
	}
	return j, nil
}

// copyJanusConfig copies every .jcfg of from into to, the HTTP port set.
func copyJanusConfig(from, to, port string) error {
	files, err := filepath.Glob(filepath.Join(from, "*.jcfg"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("janus configuration in %s: none found (%v)", from, err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		text := strings.ReplaceAll(string(data), "port = 8088", "port = "+port)
		if err := os.WriteFile(filepath.Join(to, filepath.Base(f)), []byte(text), 0o600); err != nil {
			return err
		}
	}
	return nil
}

func (j *janusServer) stop() {
	if j.cmd.Process != nil {
		_ = j.cmd.Process.Kill()
		_ = j.cmd.Wait()
	}
	if os.Getenv("CONFLOAD_KEEP") == "" {
		_ = os.RemoveAll(j.dir)
	}
}
