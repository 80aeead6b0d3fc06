package bundle

import (
	"io"
	"io/fs"
	"sync/atomic"
	"syscall"
	"time"
)

// FS is a loaded bundle: an immutable, read-only, in-memory file system.
// It implements fs.FS, fs.StatFS, fs.ReadDirFS and fs.ReadFileFS, and is
// safe for concurrent use without locking: it never changes after [Load].
//
// Open returns an independent file with its own offset each time. Files
// implement io.Seeker and io.ReaderAt besides fs.File (wazero uses them for
// the guest's fd_seek and fd_pread); directories implement fs.ReadDirFile.
// Every file has mode 0444, every directory 0555, and all have a zero
// modification time.
type FS struct {
	nodes map[string]*node // by path; "." is the root
	stats Stats
}

var (
	_ fs.FS         = (*FS)(nil)
	_ fs.StatFS     = (*FS)(nil)
	_ fs.ReadDirFS  = (*FS)(nil)
	_ fs.ReadFileFS = (*FS)(nil)
)

// Stats returns the number of files and directories in the bundle and the
// total size of the files.
func (f *FS) Stats() Stats { return f.stats }

// Open opens the named file or directory for reading.
func (f *FS) Open(name string) (fs.File, error) {
	n, err := f.lookup("open", name)
	if err != nil {
		return nil, err
	}
	if n.dir {
		return &openDir{node: n, path: name}, nil
	}
	return &openFile{node: n, path: name}, nil
}

// Stat returns information about the named file or directory.
func (f *FS) Stat(name string) (fs.FileInfo, error) {
	n, err := f.lookup("stat", name)
	if err != nil {
		return nil, err
	}
	return n, nil
}

// ReadFile returns a copy of the named file's contents.
func (f *FS) ReadFile(name string) ([]byte, error) {
	n, err := f.lookup("read", name)
	if err != nil {
		return nil, err
	}
	if n.dir {
		return nil, &fs.PathError{Op: "read", Path: name, Err: syscall.EISDIR}
	}
	return append([]byte(nil), n.data...), nil
}

// ReadDir returns the named directory's entries, sorted by name.
func (f *FS) ReadDir(name string) ([]fs.DirEntry, error) {
	n, err := f.lookup("readdir", name)
	if err != nil {
		return nil, err
	}
	if !n.dir {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: syscall.ENOTDIR}
	}
	return append([]fs.DirEntry(nil), n.entries...), nil
}

func (f *FS) lookup(op, name string) (*node, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	n, ok := f.nodes[name]
	if !ok {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	}
	return n, nil
}

// node is a file or directory. It never changes once Load returns, and is
// its own fs.FileInfo and fs.DirEntry.
type node struct {
	name     string        // base name; "." for the root
	dir      bool          // a directory, not a regular file
	data     []byte        // a file's contents
	entries  []fs.DirEntry // a directory's entries, sorted by name
	children []*node       // a directory's entries while Load builds it
}

// Name implements fs.FileInfo and fs.DirEntry.
func (n *node) Name() string { return n.name }

// Size implements fs.FileInfo.
func (n *node) Size() int64 { return int64(len(n.data)) }

// Mode implements fs.FileInfo.
func (n *node) Mode() fs.FileMode {
	if n.dir {
		return fs.ModeDir | dirMode
	}
	return fileMode
}

// ModTime implements fs.FileInfo; it is always the zero time.
func (n *node) ModTime() time.Time { return time.Time{} }

// IsDir implements fs.FileInfo and fs.DirEntry.
func (n *node) IsDir() bool { return n.dir }

// Sys implements fs.FileInfo; it returns nil.
func (n *node) Sys() any { return nil }

// Type implements fs.DirEntry.
func (n *node) Type() fs.FileMode { return n.Mode().Type() }

// Info implements fs.DirEntry.
func (n *node) Info() (fs.FileInfo, error) { return n, nil }

// openFile is an open regular file. Read and Seek share its offset, so
// they are for one goroutine at a time; ReadAt and Stat may be called
// concurrently with anything.
type openFile struct {
	node   *node
	path   string
	offset int64
	closed atomic.Bool
}

var (
	_ io.Seeker   = (*openFile)(nil)
	_ io.ReaderAt = (*openFile)(nil)
)

func (f *openFile) Stat() (fs.FileInfo, error) {
	if f.closed.Load() {
		return nil, f.error("stat", fs.ErrClosed)
	}
	return f.node, nil
}

func (f *openFile) Read(p []byte) (int, error) {
	if f.closed.Load() {
		return 0, f.error("read", fs.ErrClosed)
	}
	if f.offset >= int64(len(f.node.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.node.data[f.offset:])
	f.offset += int64(n)
	return n, nil
}

// ReadAt implements io.ReaderAt: it reads at off without moving the offset
// Read uses.
func (f *openFile) ReadAt(p []byte, off int64) (int, error) {
	if f.closed.Load() {
		return 0, f.error("read", fs.ErrClosed)
	}
	if off < 0 {
		return 0, f.error("read", fs.ErrInvalid)
	}
	if off >= int64(len(f.node.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.node.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Seek implements io.Seeker. Seeking past the end is allowed; reads there
// return io.EOF.
func (f *openFile) Seek(offset int64, whence int) (int64, error) {
	if f.closed.Load() {
		return 0, f.error("seek", fs.ErrClosed)
	}
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += f.offset
	case io.SeekEnd:
		offset += int64(len(f.node.data))
	default:
		return 0, f.error("seek", fs.ErrInvalid)
	}
	if offset < 0 {
		return 0, f.error("seek", fs.ErrInvalid)
	}
	f.offset = offset
	return offset, nil
}

func (f *openFile) Close() error {
	if f.closed.Swap(true) {
		return f.error("close", fs.ErrClosed)
	}
	return nil
}

func (f *openFile) error(op string, err error) error {
	return &fs.PathError{Op: op, Path: f.path, Err: err}
}

// openDir is an open directory. ReadDir moves through its entries, so it is
// for one goroutine at a time.
type openDir struct {
	node   *node
	path   string
	read   int // entries ReadDir returned so far
	closed bool
}

var _ fs.ReadDirFile = (*openDir)(nil)

func (d *openDir) Stat() (fs.FileInfo, error) {
	if d.closed {
		return nil, d.error("stat", fs.ErrClosed)
	}
	return d.node, nil
}

func (d *openDir) Read([]byte) (int, error) {
	if d.closed {
		return 0, d.error("read", fs.ErrClosed)
	}
	return 0, d.error("read", syscall.EISDIR)
}

// ReadDir implements fs.ReadDirFile: with n > 0 it returns at most n
// entries, and io.EOF once none are left; with n <= 0 it returns all the
// remaining entries and a nil error.
func (d *openDir) ReadDir(n int) ([]fs.DirEntry, error) {
	if d.closed {
		return nil, d.error("readdir", fs.ErrClosed)
	}
	left := d.node.entries[d.read:]
	if n > 0 {
		if len(left) == 0 {
			return nil, io.EOF
		}
		left = left[:min(n, len(left))]
	}
	d.read += len(left)
	return append([]fs.DirEntry(nil), left...), nil
}

func (d *openDir) Close() error {
	if d.closed {
		return d.error("close", fs.ErrClosed)
	}
	d.closed = true
	return nil
}

func (d *openDir) error(op string, err error) error {
	return &fs.PathError{Op: op, Path: d.path, Err: err}
}
