package engine

import (
	"cmp"
	"io/fs"
	"strings"

	"github.com/tetratelabs/wazero"
	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/experimental/sysfs"
	"github.com/tetratelabs/wazero/sys"

	"github.com/wisphq/wisp/internal/engine/rootfs"
)

// readOnlyMounts mounts a deployed app's file systems for one instance:
// each read-only (readOnlyFS), all of them sharing one count of open files
// (see MaxOpenFiles).
func readOnlyMounts(mounts []Mount) wazero.FSConfig {
	count := &openCounter{}
	fsc := wazero.NewFSConfig()
	for _, m := range mounts {
		fsc = fsc.(sysfs.FSConfig).WithSysFSMount(newReadOnlyFS(limitedFS{FS: m.FS, count: count}), m.Guest)
	}
	return fsc
}

// readOnlyFS is an io/fs.FS as a wazero sys.FS that refuses every change
// with the errno a POSIX read-only file system gives, as rootfs's
// read-only mounts do (same rules: rootfs.ReadOnlyOpen and
// rootfs.ReadOnlyCreate).
//
// wazero's own adapter (sysfs.AdaptFS, what FSConfig.WithFSMount uses)
// reads well but is not read-only in a way programs understand: it
// ignores open flags, so opening a file for writing succeeds and O_TRUNC
// "succeeds" without truncating, and it answers writes, mkdir, unlink,
// rename and the like with ENOSYS, "not implemented", where a program
// expects EROFS (or EBADF for a write to a descriptor open for reading).
// readOnlyFS reads through the adapter and answers everything else itself:
//
//   - open for writing or truncating: EROFS (EISDIR for a directory;
//     ENOENT, EEXIST, ENOTDIR where the path decides first);
//   - mkdir: EEXIST for a name that exists, else EROFS; rmdir, unlink,
//     rename, link, symlink, chmod and utimes: EROFS;
//   - on an open file: write, pwrite and truncate EBADF (EISDIR for a
//     directory), utimes EROFS, sync nothing to do.
//
// It also fails a file's name followed by "/" with ENOTDIR, where the
// adapter drops the slash.
type readOnlyFS struct {
	experimentalsys.FS // the adapter: OpenFile for reading, Stat, Readlink
}

var _ experimentalsys.FS = readOnlyFS{}

func newReadOnlyFS(fsys fs.FS) readOnlyFS {
	return readOnlyFS{FS: &sysfs.AdaptFS{FS: fsys}}
}

// stat is a rootfs.StatFunc. An io/fs.FS has no symbolic links: it is
// lstat too.
func (r readOnlyFS) stat(path string) (bool, experimentalsys.Errno) {
	st, errno := r.Stat(path)
	return st.Mode.IsDir(), errno
}

// Stat implements sys.FS. A path ending in "/" names a directory, so for
// a file it fails with ENOTDIR, as on every POSIX file system (the adapter
// drops the slash and finds the file).
func (r readOnlyFS) Stat(path string) (sys.Stat_t, experimentalsys.Errno) {
	st, errno := r.FS.Stat(path)
	if errno == 0 && strings.HasSuffix(path, "/") && !st.Mode.IsDir() {
		return sys.Stat_t{}, experimentalsys.ENOTDIR
	}
	return st, errno
}

// Lstat implements sys.FS, as Stat.
func (r readOnlyFS) Lstat(path string) (sys.Stat_t, experimentalsys.Errno) { return r.Stat(path) }

// OpenFile implements sys.FS.
func (r readOnlyFS) OpenFile(path string, flag experimentalsys.Oflag, perm fs.FileMode) (experimentalsys.File, experimentalsys.Errno) {
	flag, errno := rootfs.ReadOnlyOpen(path, flag, r.stat, r.stat)
	if errno != 0 {
		return nil, errno
	}
	f, errno := r.FS.OpenFile(path, flag, perm)
	if errno != 0 {
		return nil, errno
	}
	if strings.HasSuffix(path, "/") {
		if isDir, errno := f.IsDir(); errno != 0 || !isDir {
			f.Close()
			return nil, cmp.Or(errno, experimentalsys.ENOTDIR)
		}
	}
	return &readOnlyFile{File: f}, 0
}

// Mkdir implements sys.FS: EEXIST for a name that exists, so "mkdir -p"
// of existing directories works, else EROFS.
func (r readOnlyFS) Mkdir(path string, _ fs.FileMode) experimentalsys.Errno {
	return rootfs.ReadOnlyCreate(path, r.stat, r.stat)
}

// Chmod implements sys.FS.
func (readOnlyFS) Chmod(string, fs.FileMode) experimentalsys.Errno { return experimentalsys.EROFS }

// Rename implements sys.FS.
func (readOnlyFS) Rename(string, string) experimentalsys.Errno { return experimentalsys.EROFS }

// Rmdir implements sys.FS.
func (readOnlyFS) Rmdir(string) experimentalsys.Errno { return experimentalsys.EROFS }

// Unlink implements sys.FS.
func (readOnlyFS) Unlink(string) experimentalsys.Errno { return experimentalsys.EROFS }

// Link implements sys.FS.
func (readOnlyFS) Link(string, string) experimentalsys.Errno { return experimentalsys.EROFS }

// Symlink implements sys.FS.
func (readOnlyFS) Symlink(string, string) experimentalsys.Errno { return experimentalsys.EROFS }

// Utimens implements sys.FS.
func (readOnlyFS) Utimens(string, int64, int64) experimentalsys.Errno {
	return experimentalsys.EROFS
}

// readOnlyFile is a file or directory a readOnlyFS opened: open for
// reading only. It is used from one goroutine at a time, as wazero uses
// every file.
type readOnlyFile struct {
	experimentalsys.File
	appending bool // O_APPEND set with SetAppend: kept, though nothing is written
	closed    bool
}

var _ experimentalsys.File = (*readOnlyFile)(nil)

// writeErrno is what a write to f fails with: EBADF, as for any
// descriptor not open for writing, or EISDIR for a directory (as wazero's
// and rootfs's files say).
func (f *readOnlyFile) writeErrno() experimentalsys.Errno {
	if f.closed {
		return experimentalsys.EBADF
	}
	if isDir, errno := f.IsDir(); errno != 0 {
		return errno
	} else if isDir {
		return experimentalsys.EISDIR
	}
	return experimentalsys.EBADF
}

// Write implements sys.File.
func (f *readOnlyFile) Write([]byte) (int, experimentalsys.Errno) { return 0, f.writeErrno() }

// Pwrite implements sys.File.
func (f *readOnlyFile) Pwrite([]byte, int64) (int, experimentalsys.Errno) {
	return 0, f.writeErrno()
}

// Truncate implements sys.File.
func (f *readOnlyFile) Truncate(int64) experimentalsys.Errno { return f.writeErrno() }

// Utimens implements sys.File: EROFS, as futimens on a read-only file
// system (times need no write access to the descriptor).
func (f *readOnlyFile) Utimens(int64, int64) experimentalsys.Errno {
	if f.closed {
		return experimentalsys.EBADF
	}
	return experimentalsys.EROFS
}

// Sync implements sys.File: nothing was written, nothing to flush.
func (f *readOnlyFile) Sync() experimentalsys.Errno {
	if f.closed {
		return experimentalsys.EBADF
	}
	return 0
}

// Datasync implements sys.File, as Sync.
func (f *readOnlyFile) Datasync() experimentalsys.Errno { return f.Sync() }

// IsAppend implements sys.File.
func (f *readOnlyFile) IsAppend() bool { return f.appending }

// SetAppend implements sys.File. Setting O_APPEND on a descriptor open for
// reading succeeds in POSIX (writes fail anyway); the adapter would say
// ENOSYS even to clearing it.
func (f *readOnlyFile) SetAppend(enable bool) experimentalsys.Errno {
	if f.closed {
		return experimentalsys.EBADF
	}
	f.appending = enable
	return 0
}

// Close implements sys.File.
func (f *readOnlyFile) Close() experimentalsys.Errno {
	f.closed = true
	return f.File.Close()
}
