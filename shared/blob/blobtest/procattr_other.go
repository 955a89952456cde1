//go:build !linux

package blobtest

import "syscall"

// sysProcAttr has no parent-death signal off Linux: Main's stop is all.
func sysProcAttr() *syscall.SysProcAttr { return nil }
