//go:build !linux

package clustertest

import "syscall"

// dieWithTest: only Linux can tie the server's life to the test binary's.
func dieWithTest() *syscall.SysProcAttr { return nil }
