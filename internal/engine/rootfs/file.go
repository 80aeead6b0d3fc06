package rootfs

import (
	"io"
	"io/fs"
	"os"

	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/sys"
)

var _ experimentalsys.File = (*file)(nil)

// file is an open file or directory of an FS: a sys.File over an *os.File.
// Once open it needs no path, except to toggle O_APPEND (which means
// opening it again, beneath the same root).
type file struct {
	experimentalsys.UnimplementedFile // ENOSYS for methods sys.File may add

	fsys *FS
	path string // as opened, relative to the root
	flag experimentalsys.Oflag
	f    *os.File

	// Never change while the file is open.
	dev   uint64
	ino   sys.Inode
	isDir bool

	closed bool
}

func newFile(fsys *FS, path string, flag experimentalsys.Oflag, f *os.File, info fs.FileInfo) *file {
	st := sys.NewStat_t(info)
	return &file{
		fsys:  fsys,
		path:  path,
		flag:  flag &^ (experimentalsys.O_CREAT | experimentalsys.O_EXCL | experimentalsys.O_TRUNC),
		f:     f,
		dev:   st.Dev,
		ino:   st.Ino,
		isDir: info.IsDir(),
	}
}

// Dev implements sys.File.
func (f *file) Dev() (uint64, experimentalsys.Errno) { return f.dev, 0 }

// Ino implements sys.File.
func (f *file) Ino() (sys.Inode, experimentalsys.Errno) { return f.ino, 0 }

// IsDir implements sys.File.
func (f *file) IsDir() (bool, experimentalsys.Errno) { return f.isDir, 0 }

// IsAppend implements sys.File.
func (f *file) IsAppend() bool { return f.flag&experimentalsys.O_APPEND != 0 }

// SetAppend implements sys.File. The os package fixes O_APPEND at open, so
// this opens the file again, beneath the same root, and fails with ENOENT
// if the path no longer names the same file.
func (f *file) SetAppend(enable bool) experimentalsys.Errno {
	if errno := f.check(false); errno != 0 {
		return errno
	}
	flag := f.flag &^ experimentalsys.O_APPEND
	if enable {
		flag |= experimentalsys.O_APPEND
	}
	if flag == f.flag {
		return 0
	}
	offset, err := f.f.Seek(0, io.SeekCurrent)
	if err != nil {
		return experimentalsys.UnwrapOSError(err)
	}
	reopened, err := f.fsys.root.OpenFile(f.path, toOSFlag(flag), 0)
	if err != nil {
		return pathErrno(err)
	}
	if info, err := reopened.Stat(); err != nil || !sameFile(info, f.dev, f.ino) {
		reopened.Close()
		return experimentalsys.ENOENT
	}
	if _, err := reopened.Seek(offset, io.SeekStart); err != nil {
		reopened.Close()
		return experimentalsys.UnwrapOSError(err)
	}
	f.f.Close()
	f.f, f.flag = reopened, flag
	return 0
}

func sameFile(info fs.FileInfo, dev uint64, ino sys.Inode) bool {
	st := sys.NewStat_t(info)
	return st.Dev == dev && st.Ino == ino
}

// Stat implements sys.File.
func (f *file) Stat() (sys.Stat_t, experimentalsys.Errno) {
	if f.closed {
		return sys.Stat_t{}, experimentalsys.EBADF
	}
	info, err := f.f.Stat()
	if err != nil {
		return sys.Stat_t{}, experimentalsys.UnwrapOSError(err)
	}
	return sys.NewStat_t(info), 0
}

// Read implements sys.File.
func (f *file) Read(buf []byte) (int, experimentalsys.Errno) {
	if len(buf) == 0 {
		return 0, f.check(false)
	}
	n, err := f.f.Read(buf)
	return n, f.errno(err)
}

// Pread implements sys.File.
func (f *file) Pread(buf []byte, off int64) (int, experimentalsys.Errno) {
	if off < 0 {
		return 0, experimentalsys.EINVAL
	}
	if len(buf) == 0 {
		return 0, f.check(false)
	}
	n, err := f.f.ReadAt(buf, off)
	return n, f.errno(err)
}

// Seek implements sys.File. On a directory only Seek(0, io.SeekStart) is
// meaningful: the next Readdir starts over and sees current entries.
func (f *file) Seek(offset fileOffset, whence int) (int64, experimentalsys.Errno) {
	if whence < io.SeekStart || whence > io.SeekEnd {
		return 0, experimentalsys.EINVAL
	}
	n, err := f.f.Seek(offset, whence)
	if err != nil {
		return 0, f.errno(err)
	}
	return n, 0
}

// Readdir implements sys.File. Entries carry their inode and type; "."
// and ".." are left out (wazero adds them).
func (f *file) Readdir(n int) ([]experimentalsys.Dirent, experimentalsys.Errno) {
	if f.closed {
		return nil, experimentalsys.EBADF
	}
	if !f.isDir {
		return nil, experimentalsys.EBADF
	}
	infos, err := f.f.Readdir(n)
	switch errno := experimentalsys.UnwrapOSError(err); errno {
	case 0:
	case experimentalsys.EINVAL, experimentalsys.ENOTDIR:
		return nil, experimentalsys.EBADF // the errors sys.File allows
	default:
		return nil, errno
	}
	dirents := make([]experimentalsys.Dirent, 0, len(infos))
	for _, info := range infos {
		dirents = append(dirents, experimentalsys.Dirent{
			Name: info.Name(),
			Ino:  sys.NewStat_t(info).Ino,
			Type: info.Mode().Type(),
		})
	}
	return dirents, 0
}

// Write implements sys.File.
func (f *file) Write(buf []byte) (int, experimentalsys.Errno) {
	if errno := f.checkWritable(); errno != 0 {
		return 0, errno
	}
	if len(buf) == 0 {
		return 0, 0
	}
	n, err := f.f.Write(buf)
	return n, f.errno(err)
}

// Pwrite implements sys.File.
func (f *file) Pwrite(buf []byte, off int64) (int, experimentalsys.Errno) {
	if errno := f.checkWritable(); errno != 0 {
		return 0, errno
	}
	if off < 0 {
		return 0, experimentalsys.EINVAL
	}
	if len(buf) == 0 {
		return 0, 0
	}
	n, err := f.f.WriteAt(buf, off)
	return n, f.errno(err)
}

// Truncate implements sys.File.
func (f *file) Truncate(size int64) experimentalsys.Errno {
	if errno := f.checkWritable(); errno != 0 {
		return errno
	}
	if size < 0 {
		return experimentalsys.EINVAL
	}
	return f.errno(f.f.Truncate(size))
}

// Sync implements sys.File. On a read-only FS it does nothing: the guest
// wrote nothing to flush (fsync of a file opened for reading succeeds in
// POSIX; wazero's sysfs.ReadFS says EBADF).
func (f *file) Sync() experimentalsys.Errno {
	switch {
	case f.closed:
		return experimentalsys.EBADF
	case f.fsys.readOnly:
		return 0
	}
	return experimentalsys.UnwrapOSError(f.f.Sync())
}

// Datasync implements sys.File, as Sync.
func (f *file) Datasync() experimentalsys.Errno { return f.Sync() }

// Utimens implements sys.File. UTIME_OMIT leaves that time as it is. On
// a read-only FS it fails with EROFS, as futimens does on a read-only file
// system (wazero's sysfs.ReadFS says EBADF, but changing times needs no
// write access to the file).
func (f *file) Utimens(atim, mtim int64) experimentalsys.Errno {
	switch {
	case f.closed:
		return experimentalsys.EBADF
	case f.fsys.readOnly:
		return experimentalsys.EROFS
	}
	if atim == experimentalsys.UTIME_OMIT && mtim == experimentalsys.UTIME_OMIT {
		return 0
	}
	return futimens(f.f, atim, mtim)
}

// Close implements sys.File. Closing twice is not an error.
func (f *file) Close() experimentalsys.Errno {
	if f.closed {
		return 0
	}
	f.closed = true
	return experimentalsys.UnwrapOSError(f.f.Close())
}

// fileOffset is int64, named only in Seek's declaration: go vet's
// stdmethods check takes any Seek(int64, int) for io.Seeker and wants an
// error result, but sys.File's Seek returns sys.Errno. An alias is the
// same type, so file still implements sys.File.
type fileOffset = int64

// check returns EBADF for a closed file and, for calls meant for files
// (wantFile), EISDIR for a directory.
func (f *file) check(wantFile bool) experimentalsys.Errno {
	switch {
	case f.closed:
		return experimentalsys.EBADF
	case wantFile && f.isDir:
		return experimentalsys.EISDIR
	}
	return 0
}

// checkWritable refuses writes on a read-only FS before they reach the OS,
// as wazero's sysfs.ReadFS does: EISDIR for a directory, else EBADF.
func (f *file) checkWritable() experimentalsys.Errno {
	if errno := f.check(true); errno != 0 {
		return errno
	}
	if f.fsys.readOnly {
		return experimentalsys.EBADF
	}
	return 0
}

// errno maps an error from the *os.File, preferring EBADF for a closed
// file and EISDIR for a directory as wazero's own files do.
func (f *file) errno(err error) experimentalsys.Errno {
	errno := experimentalsys.UnwrapOSError(err)
	if errno == 0 {
		return 0
	}
	if e := f.check(true); e != 0 {
		return e
	}
	return errno
}
