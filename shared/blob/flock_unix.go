//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package blob

import (
	"io/fs"
	"os"
	"syscall"
)

// lockFile takes an exclusive flock on f. The kernel drops it when the
// file is closed or the process dies, so a crash never leaves it held.
func lockFile(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			return err
		}
	}
}

func unlockFile(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}

// fileID is the file's inode number.
func fileID(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino)
	}
	return 0
}
