package engine

import (
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"syscall"
)

// MaxOpenFiles caps the files and directories one instance may hold open
// at once across its mounts. Past it, opening fails inside the guest (with
// EIO: WASI preview 1 has no EMFILE in wazero's error mapping), so a guest
// that opens without closing cannot grow the host's memory without bound.
const MaxOpenFiles = 256

// errTooManyOpen is what a guest's open past MaxOpenFiles fails with.
var errTooManyOpen = errors.New("too many open files")

// openCounter counts one instance's open files; shared by its mounts.
type openCounter struct {
	mu   sync.Mutex
	open int
}

func (c *openCounter) acquire() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open >= MaxOpenFiles {
		return false
	}
	c.open++
	return true
}

func (c *openCounter) release() {
	c.mu.Lock()
	c.open--
	c.mu.Unlock()
}

// limitedFS wraps a mount's fs.FS for one instance.
type limitedFS struct {
	fs.FS
	count *openCounter
}

func (l limitedFS) Open(name string) (fs.File, error) {
	if !l.count.acquire() {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("%w (the limit is %d per instance)", errTooManyOpen, MaxOpenFiles)}
	}
	f, err := l.FS.Open(name)
	if err != nil {
		l.count.release()
		return nil, err
	}
	return &countedFile{File: f, count: l.count}, nil
}

// countedFile releases its slot once when closed. It keeps the optional
// interfaces wazero looks for (Seek, ReadAt, ReadDir) of the file inside.
type countedFile struct {
	fs.File
	count  *openCounter
	closed sync.Once
}

func (f *countedFile) Close() error {
	f.closed.Do(f.count.release)
	return f.File.Close()
}

func (f *countedFile) Seek(offset int64, whence int) (int64, error) {
	if s, ok := f.File.(interface {
		Seek(int64, int) (int64, error)
	}); ok {
		return s.Seek(offset, whence)
	}
	return 0, syscall.ENOSYS
}

func (f *countedFile) ReadAt(p []byte, off int64) (int, error) {
	if r, ok := f.File.(interface {
		ReadAt([]byte, int64) (int, error)
	}); ok {
		return r.ReadAt(p, off)
	}
	return 0, syscall.ENOSYS // as wazero reports pread on a file without ReadAt
}

func (f *countedFile) ReadDir(n int) ([]fs.DirEntry, error) {
	if d, ok := f.File.(fs.ReadDirFile); ok {
		return d.ReadDir(n)
	}
	return nil, &fs.PathError{Op: "readdir", Err: errors.New("not a directory")}
}
