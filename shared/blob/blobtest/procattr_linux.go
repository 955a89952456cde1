package blobtest

import "syscall"

// sysProcAttr makes the kernel kill Azurite when the test binary dies.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
