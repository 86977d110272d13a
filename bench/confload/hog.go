package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// pin puts every thread of process pid on one CPU core (threads it starts
// later inherit it), as a server pinned with taskset.
func pin(pid, core int) error {
	var set unix.CPUSet
	set.Set(core)
	tasks, err := os.ReadDir(filepath.Join("/proc", strconv.Itoa(pid), "task"))
	if err != nil {
		return fmt.Errorf("pin %d: %w", pid, err)
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		if err := unix.SchedSetaffinity(tid, &set); err != nil {
			return fmt.Errorf("pin thread %d to core %d: %w", tid, core, err)
		}
	}
	return nil
}

// startHogs starts n busy loops beside the server (on core when core ≥ 0),
// the outside CPU load under which the mix must keep real time. stop ends
// them.
func startHogs(n, core int) (stop func(), err error) {
	var cmds []*exec.Cmd
	stop = func() {
		for _, c := range cmds {
			_ = c.Process.Signal(syscall.SIGKILL)
			_ = c.Wait()
		}
	}
	for range n {
		c := exec.Command("/bin/sh", "-c", "while :; do :; done")
		if err := c.Start(); err != nil {
			stop()
			return nil, fmt.Errorf("cpu hog: %w", err)
		}
		cmds = append(cmds, c)
		if core >= 0 {
			if err := pin(c.Process.Pid, core); err != nil {
				stop()
				return nil, err
			}
		}
	}
	return stop, nil
}
