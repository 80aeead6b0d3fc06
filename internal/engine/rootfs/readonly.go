package rootfs

import (
	"path"

	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
)

// StatFunc looks a path up on a file system: whether it names a
// directory, or the errno stat (or lstat) fails with, ENOENT for a
// missing path.
type StatFunc func(path string) (isDir bool, errno experimentalsys.Errno)

// ReadOnlyOpen decides an open of p with flag on a read-only file system,
// looking p up with stat, or with lstat for O_CREAT|O_EXCL (which never
// follows a symbolic link). It returns the errno the open fails with, or
// the flag to open p with for reading: flag without O_CREAT and O_EXCL,
// when flag asks for no change, or only for O_CREAT of a path that exists.
// Both read-only mounts of the engine follow it: an FS from OpenReadOnly
// and a deployed app's bundle.
//
// The answers are POSIX's, in the order Linux checks them, so a program
// sees on a read-only mount what it would see on a read-only file system:
//
//   - a missing path: with O_CREAT, EROFS if its directory exists (else
//     that directory's ENOENT or ENOTDIR); without, ENOENT;
//   - O_CREAT|O_EXCL of an existing path: EEXIST;
//   - O_DIRECTORY of a file: ENOTDIR;
//   - a directory opened for writing or truncating: EISDIR;
//   - a file opened for writing (O_WRONLY, O_RDWR) or truncating
//     (O_TRUNC, whatever the access mode): EROFS. O_TRUNC never succeeds
//     without truncating.
func ReadOnlyOpen(p string, flag experimentalsys.Oflag, stat, lstat StatFunc) (experimentalsys.Oflag, experimentalsys.Errno) {
	write := flag&(experimentalsys.O_WRONLY|experimentalsys.O_RDWR|experimentalsys.O_TRUNC) != 0
	create := flag&experimentalsys.O_CREAT != 0
	excl := create && flag&experimentalsys.O_EXCL != 0
	if !write && !create {
		return flag, 0
	}
	look := stat
	if excl {
		look = lstat
	}
	isDir, errno := look(p)
	switch {
	case errno == experimentalsys.ENOENT && create:
		return 0, creatable(p, stat)
	case errno != 0:
		return 0, errno
	case excl:
		return 0, experimentalsys.EEXIST
	case flag&experimentalsys.O_DIRECTORY != 0 && !isDir:
		return 0, experimentalsys.ENOTDIR
	case !write: // O_CREAT of a path that exists: opened as it is
		return flag &^ (experimentalsys.O_CREAT | experimentalsys.O_EXCL), 0
	case isDir:
		return 0, experimentalsys.EISDIR
	}
	return 0, experimentalsys.EROFS
}

// ReadOnlyCreate returns the errno that creating the name p (mkdir, say)
// fails with on a read-only file system, as Linux gives it: EEXIST if
// something has the name already, lstat's or stat's own errno where the
// lookup fails otherwise (ENOENT for a missing directory on the way,
// ENOTDIR for a file there), else EROFS. So "mkdir -p" of directories
// that exist succeeds on a read-only mount, as it does on a read-only file
// system.
func ReadOnlyCreate(p string, stat, lstat StatFunc) experimentalsys.Errno {
	switch _, errno := lstat(p); errno {
	case 0:
		return experimentalsys.EEXIST
	case experimentalsys.ENOENT:
		return creatable(p, stat)
	default:
		return errno
	}
}

// creatable returns the errno creating the missing name p fails with on a
// read-only file system: its directory's when that is missing or not a
// directory, else EROFS.
func creatable(p string, stat StatFunc) experimentalsys.Errno {
	dir := path.Dir(path.Clean("/" + p))
	if dir == "/" {
		dir = "."
	} else {
		dir = dir[1:]
	}
	isDir, errno := stat(dir)
	switch {
	case errno != 0:
		return errno
	case !isDir:
		return experimentalsys.ENOTDIR
	}
	return experimentalsys.EROFS
}
