// Package rootfs mounts a host directory into a WASI guest without letting
// the guest reach anything outside it.
//
// wazero's own directory mounts (FSConfig.WithDirMount) join guest paths
// onto the host directory and let the kernel resolve them, so a symbolic
// link inside the mount, such as one the guest made itself with
// symlink("..", "up"), leads out of it. An FS resolves every path with an
// *os.Root instead: one path component at a time, beneath the directory,
// never following ".." above it, an absolute symbolic link, or a relative
// one that climbs out. Symbolic links that stay inside the directory work
// as they do on the host.
//
// A path that would leave the directory fails with EPERM, the error
// wazero's WASI layer already gives for "../x". Nothing outside the
// directory is read, written, created or removed, whatever the guest or a
// concurrent host process does to the tree in the meantime. (What the host
// itself puts inside the directory, such as a hard link to a file
// elsewhere or a bind mount, is inside it: os.Root does not look past
// those.)
//
// Beyond confinement an FS behaves as wazero's sysfs.DirFS, with the same
// errnos, except where documented on its methods: renaming a directory
// onto an existing one, rmdir of the directory itself, and, for read-only
// mounts, the errnos of POSIX's read-only file systems where wazero's
// sysfs.ReadFS differs: opening for writing (EROFS where sysfs.ReadFS
// says ENOSYS), O_TRUNC with O_RDONLY (refused where sysfs.ReadFS lets it
// through), mkdir of an existing name (EEXIST), and file times and syncs
// (see OpenReadOnly).
//
// An FS implements wazero's experimental sys.FS; mount it with
//
//	cfg := wazero.NewFSConfig().(sysfs.FSConfig).WithSysFSMount(fsys, "/data")
//
// and Close it once the module using it has closed.
package rootfs

import (
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/sys"
)

var _ experimentalsys.FS = (*FS)(nil)

// FS is a host directory as a wazero sys.FS, confined beneath that
// directory. Its methods are safe for concurrent use. The files it opens
// are not: wazero uses each from one goroutine at a time.
//
// Paths are relative to the directory (a leading "/" is ignored, so "",
// "." and "/" name the directory itself). Errors are the sys.Errno values wazero's
// sys.FS documents, and EPERM for a path that would leave the directory.
type FS struct {
	experimentalsys.UnimplementedFS // ENOSYS for methods sys.FS may add

	root     *os.Root
	readOnly bool
}

// Open returns an FS for the directory dir, which the guest may read and
// change. Symbolic links in dir itself are followed once, here: the FS
// stays on the directory dir named when it was opened, even if it is later
// renamed or replaced. Close the FS when done.
func Open(dir string) (*FS, error) {
	return open(dir, false)
}

// OpenReadOnly is like Open, but the guest may only read: every call that
// would change the directory fails with the errno POSIX gives on a
// read-only file system. Opening for writing, creating or truncating
// fails as ReadOnlyOpen says (EROFS; EISDIR for a directory, EEXIST for
// O_CREAT|O_EXCL of a path that exists, ENOENT for writing a missing file
// without O_CREAT); mkdir of a name that exists fails with EEXIST (see
// ReadOnlyCreate); removing, renaming, linking and changing modes or times
// fail with EROFS. A file opened for reading fails writes and truncation
// with EBADF (EISDIR for a directory) and changing its times with EROFS;
// syncing it succeeds and does nothing.
func OpenReadOnly(dir string) (*FS, error) {
	return open(dir, true)
}

func open(dir string, readOnly bool) (*FS, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("mount %s: %w; name an existing directory you can read", dir, err)
	}
	return &FS{root: root, readOnly: readOnly}, nil
}

// Close releases the directory. Files the FS opened stay usable; calls on
// the FS after Close fail with EBADF.
func (f *FS) Close() error {
	return f.root.Close()
}

// String returns the host directory, as given to Open.
func (f *FS) String() string {
	if f.readOnly {
		return f.root.Name() + " (read-only)"
	}
	return f.root.Name()
}

// OpenFile implements sys.FS. O_NOFOLLOW is honoured for the last path
// component. perm bits other than 0o777 are ignored.
func (f *FS) OpenFile(path string, flag experimentalsys.Oflag, perm fs.FileMode) (experimentalsys.File, experimentalsys.Errno) {
	p := rel(path)
	noFollow := flag&experimentalsys.O_NOFOLLOW != 0
	if noFollow {
		// os.Root always follows a symbolic link in the last component, so
		// refuse one before opening (so O_TRUNC cannot reach its target)
		// and check after opening that no link was swapped in meanwhile.
		if info, err := f.root.Lstat(p); err == nil && info.Mode()&fs.ModeSymlink != 0 {
			if flag&experimentalsys.O_DIRECTORY != 0 {
				return nil, experimentalsys.ENOTDIR // as Linux
			}
			return nil, experimentalsys.ELOOP
		}
	}
	if f.readOnly {
		// Decided before anything is opened: what remains is a read-only
		// open without O_CREAT, which cannot change the directory even if
		// the host changes the path meanwhile.
		var errno experimentalsys.Errno
		if flag, errno = ReadOnlyOpen(p, flag, f.stat, f.lstat); errno != 0 {
			return nil, errno
		}
	}
	osf, err := f.root.OpenFile(p, toOSFlag(flag), perm&fs.ModePerm)
	if err != nil {
		return nil, pathErrno(err)
	}
	info, err := osf.Stat()
	if err != nil {
		osf.Close()
		return nil, experimentalsys.UnwrapOSError(err)
	}
	if noFollow {
		if linfo, err := f.root.Lstat(p); err != nil || !os.SameFile(info, linfo) {
			osf.Close()
			return nil, experimentalsys.ELOOP
		}
	}
	if flag&experimentalsys.O_DIRECTORY != 0 && !info.IsDir() {
		osf.Close() // only where the OS has no O_DIRECTORY (see flags_other.go)
		return nil, experimentalsys.ENOTDIR
	}
	return newFile(f, p, flag, osf, info), 0
}

// Lstat implements sys.FS.
func (f *FS) Lstat(path string) (sys.Stat_t, experimentalsys.Errno) {
	info, err := f.root.Lstat(rel(path))
	if err != nil {
		return sys.Stat_t{}, pathErrno(err)
	}
	return sys.NewStat_t(info), 0
}

// Stat implements sys.FS.
func (f *FS) Stat(path string) (sys.Stat_t, experimentalsys.Errno) {
	info, err := f.root.Stat(rel(path))
	if err != nil {
		return sys.Stat_t{}, pathErrno(err)
	}
	return sys.NewStat_t(info), 0
}

// Mkdir implements sys.FS. perm bits other than 0o777 are ignored; a
// missing parent is ENOENT, as with wazero's DirFS (a file on the way
// too). On a read-only FS an existing name is EEXIST, any other EROFS.
func (f *FS) Mkdir(path string, perm fs.FileMode) experimentalsys.Errno {
	var errno experimentalsys.Errno
	if f.readOnly {
		errno = ReadOnlyCreate(rel(path), f.stat, f.lstat)
	} else {
		errno = pathErrno(f.root.Mkdir(rel(path), perm&fs.ModePerm))
	}
	if errno == experimentalsys.ENOTDIR {
		errno = experimentalsys.ENOENT
	}
	return errno
}

// Chmod implements sys.FS, following a symbolic link in the last component.
func (f *FS) Chmod(path string, perm fs.FileMode) experimentalsys.Errno {
	if f.readOnly {
		return experimentalsys.EROFS
	}
	return pathErrno(f.root.Chmod(rel(path), perm))
}

// Rename implements sys.FS. Unlike rename(2), it does not replace an
// existing directory: renaming a directory onto another one fails with
// EEXIST even when the target is empty (os.Root refuses, and emulating it
// would not be atomic).
func (f *FS) Rename(from, to string) experimentalsys.Errno {
	if f.readOnly {
		return experimentalsys.EROFS
	}
	from, to = rel(from), rel(to)
	if from == to {
		return 0 // as wazero's DirFS
	}
	if toInfo, err := f.root.Lstat(to); err == nil && toInfo.IsDir() {
		fromInfo, err := f.root.Lstat(from)
		if err != nil {
			return pathErrno(err)
		}
		if !fromInfo.IsDir() {
			return experimentalsys.EISDIR // a file cannot replace a directory
		}
	}
	return pathErrno(f.root.Rename(from, to))
}

// Rmdir implements sys.FS. Removing the directory itself (".") fails with
// EINVAL, as rmdir(".") does; wazero's DirFS would remove it if empty.
func (f *FS) Rmdir(path string) experimentalsys.Errno {
	if f.readOnly {
		return experimentalsys.EROFS
	}
	p := rel(path)
	info, err := f.root.Lstat(p)
	if err != nil {
		return pathErrno(err)
	}
	if !info.IsDir() {
		return experimentalsys.ENOTDIR
	}
	// os.Root.Remove removes a file or an empty directory; the check above
	// makes it rmdir, unless the directory is replaced by a file in between
	// (by the host: the guest is waiting on this call).
	return pathErrno(f.root.Remove(p))
}

// Unlink implements sys.FS. Unlinking a directory is EISDIR.
func (f *FS) Unlink(path string) experimentalsys.Errno {
	if f.readOnly {
		return experimentalsys.EROFS
	}
	p := rel(path)
	info, err := f.root.Lstat(p)
	if err != nil {
		return pathErrno(err)
	}
	if info.IsDir() {
		return experimentalsys.EISDIR
	}
	return pathErrno(f.root.Remove(p)) // see Rmdir on the race
}

// Link implements sys.FS. Both paths are in this FS; a symbolic link
// oldPath is linked itself, not its target.
func (f *FS) Link(oldPath, newPath string) experimentalsys.Errno {
	if f.readOnly {
		return experimentalsys.EROFS
	}
	return pathErrno(f.root.Link(rel(oldPath), rel(newPath)))
}

// Symlink implements sys.FS. oldPath is stored as given and resolved only
// when the link is used, beneath the directory; an absolute oldPath is
// refused with EPERM, as with wazero's DirFS and the WASI path resolution
// rules. A relative oldPath may climb out of the directory ("..", say):
// the guest cannot follow such a link, but host programs that later walk
// the directory can.
func (f *FS) Symlink(oldPath, linkName string) experimentalsys.Errno {
	if f.readOnly {
		return experimentalsys.EROFS
	}
	if strings.HasPrefix(oldPath, "/") {
		return experimentalsys.EPERM
	}
	return pathErrno(f.root.Symlink(oldPath, rel(linkName)))
}

// Readlink implements sys.FS. It returns the link's text as stored, even
// one that points outside the directory and so cannot be followed.
func (f *FS) Readlink(path string) (string, experimentalsys.Errno) {
	target, err := f.root.Readlink(rel(path))
	if err != nil {
		return "", pathErrno(err)
	}
	return target, 0
}

// Utimens implements sys.FS, following a symbolic link in the last
// component. UTIME_OMIT leaves that time as it is.
func (f *FS) Utimens(path string, atim, mtim int64) experimentalsys.Errno {
	if f.readOnly {
		return experimentalsys.EROFS
	}
	if atim == experimentalsys.UTIME_OMIT && mtim == experimentalsys.UTIME_OMIT {
		return 0 // nothing to change, as with wazero's DirFS
	}
	return pathErrno(f.root.Chtimes(rel(path), toTime(atim), toTime(mtim)))
}

// toTime converts nanoseconds since the epoch to what os.Root.Chtimes
// takes, where the zero time.Time means "leave it unchanged".
func toTime(nanos int64) time.Time {
	if nanos == experimentalsys.UTIME_OMIT {
		return time.Time{}
	}
	return time.Unix(0, nanos)
}

// stat is a StatFunc for paths relative to the root.
func (f *FS) stat(path string) (bool, experimentalsys.Errno) {
	info, err := f.root.Stat(rel(path))
	if err != nil {
		return false, pathErrno(err)
	}
	return info.IsDir(), 0
}

// lstat is stat without following a symbolic link in the last component.
func (f *FS) lstat(path string) (bool, experimentalsys.Errno) {
	info, err := f.root.Lstat(rel(path))
	if err != nil {
		return false, pathErrno(err)
	}
	return info.IsDir(), 0
}

// rel turns a path from wazero into one os.Root accepts: relative, and "."
// for the directory itself.
func rel(path string) string {
	path = strings.TrimLeft(path, "/")
	if path == "" {
		return "."
	}
	return path
}
