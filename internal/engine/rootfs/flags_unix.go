//go:build unix

package rootfs

import "syscall"

// Open flags the os package does not name, passed through to openat(2) by
// os.Root. O_DIRECTORY makes the kernel refuse a non-directory without
// opening it (a FIFO would block); O_NONBLOCK matters for FIFOs.
const (
	oDirectory = syscall.O_DIRECTORY
	oNonblock  = syscall.O_NONBLOCK
)
