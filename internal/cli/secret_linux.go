package cli

import (
	"context"
	"os"
	"syscall"
	"unsafe"
)

// readNoEcho turns echo off on the terminal f, calls prompt, reads a line,
// and turns echo back on before returning, interrupted or not; a device
// that is no terminal gives errNotTerminal.
func readNoEcho(ctx context.Context, f *os.File, prompt func()) ([]byte, error) {
	old, err := termios(f, syscall.TCGETS, nil)
	if err != nil {
		return nil, errNotTerminal
	}
	quiet := *old
	quiet.Lflag &^= syscall.ECHO
	quiet.Lflag |= syscall.ICANON | syscall.ECHONL
	if _, err := termios(f, syscall.TCSETS, &quiet); err != nil {
		return nil, errNoEcho
	}
	defer termios(f, syscall.TCSETS, old)
	prompt()
	return readLine(ctx, f)
}

// termios gets (set nil) or sets the terminal attributes of f with the
// ioctl req.
func termios(f *os.File, req uintptr, set *syscall.Termios) (*syscall.Termios, error) {
	t := set
	if t == nil {
		t = &syscall.Termios{}
	}
	conn, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	var errno syscall.Errno
	err = conn.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, req, uintptr(unsafe.Pointer(t)))
	})
	if err != nil {
		return nil, err
	}
	if errno != 0 {
		return nil, errno
	}
	return t, nil
}
