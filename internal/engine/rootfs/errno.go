package rootfs

import (
	"errors"
	"io"
	"io/fs"
	"syscall"

	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
)

// pathErrno maps an error from an os.Root method to the errno the guest
// sees.
//
// os.Root reports a path that would leave the directory (through "..", an
// absolute symbolic link or one that climbs out) with an unexported error,
// "path escapes from parent", that wraps no errno. The only other errors
// without an errno it returns are for an empty path and a mode with bits
// beyond 0o777, which FS never passes it. So an error with neither an errno
// nor an io/fs meaning is an escape: EPERM, which is what wazero's WASI
// layer returns for a path such as "../x" before it reaches a file system.
func pathErrno(err error) experimentalsys.Errno {
	if err == nil {
		return 0
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return experimentalsys.UnwrapOSError(errno)
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return experimentalsys.ENOENT
	case errors.Is(err, fs.ErrExist):
		return experimentalsys.EEXIST
	case errors.Is(err, fs.ErrPermission):
		return experimentalsys.EPERM
	case errors.Is(err, fs.ErrInvalid):
		return experimentalsys.EINVAL
	case errors.Is(err, fs.ErrClosed):
		return experimentalsys.EBADF
	case errors.Is(err, io.EOF):
		return 0
	}
	return experimentalsys.EPERM
}
