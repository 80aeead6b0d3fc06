package rootfs

import (
	"os"
	"syscall"
	"unsafe"

	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
)

// utimeOmit is Linux's UTIME_OMIT, which the syscall package does not name.
const utimeOmit = (1 << 30) - 2

// futimens sets the access and modification times of an open file, as
// futimens(3): utimensat(2) with the file's descriptor and no path.
func futimens(f *os.File, atim, mtim int64) experimentalsys.Errno {
	ts := [2]syscall.Timespec{toTimespec(atim), toTimespec(mtim)}
	conn, err := f.SyscallConn()
	if err != nil {
		return experimentalsys.UnwrapOSError(err)
	}
	var errno syscall.Errno
	err = conn.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall6(syscall.SYS_UTIMENSAT, fd, 0, uintptr(unsafe.Pointer(&ts)), 0, 0, 0)
	})
	if err != nil {
		return experimentalsys.UnwrapOSError(err)
	}
	if errno != 0 {
		return experimentalsys.UnwrapOSError(errno)
	}
	return 0
}

func toTimespec(nanos int64) syscall.Timespec {
	if nanos == experimentalsys.UTIME_OMIT {
		return syscall.Timespec{Nsec: utimeOmit}
	}
	return syscall.NsecToTimespec(nanos)
}
