package clustertest

import "syscall"

// dieWithTest makes the kernel kill the server when the test binary dies
// without its cleanups (a -timeout panic, a kill): an orphaned
// redis-server would keep its port and any file it inherited, such as a
// lock other test runs wait on.
func dieWithTest() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
