package rootfs_test

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"

	"github.com/wisphq/wisp/internal/engine/rootfs"
)

func openFile(t *testing.T, fsys experimentalsys.FS, path string, flag experimentalsys.Oflag) experimentalsys.File {
	t.Helper()
	f, errno := fsys.OpenFile(path, flag, 0o644)
	if errno != 0 {
		t.Fatalf("OpenFile %s: %v", path, errno)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// must fails the test if errno is not zero.
func must(t *testing.T, what string, errno experimentalsys.Errno) {
	t.Helper()
	if errno != 0 {
		t.Fatalf("%s: %v", what, errno)
	}
}

// wantErrno fails the test if errno is not want.
func wantErrno(t *testing.T, what string, errno, want experimentalsys.Errno) {
	t.Helper()
	if errno != want {
		t.Errorf("%s: errno %v, want %v", what, errno, want)
	}
}

func TestFileReadWriteSeek(t *testing.T) {
	_, mnt := layout(t, false)
	f := openFile(t, openFS(t, mnt, false), "new", rdwr|creat)

	n, errno := f.Write([]byte("hello world"))
	must(t, "Write", errno)
	if n != 11 {
		t.Fatalf("Write wrote %d bytes, want 11", n)
	}
	off, errno := f.Seek(0, io.SeekStart)
	must(t, "Seek", errno)
	if off != 0 {
		t.Fatalf("Seek = %d, want 0", off)
	}
	buf := make([]byte, 64)
	n, errno = f.Read(buf)
	must(t, "Read", errno)
	if got := string(buf[:n]); got != "hello world" {
		t.Errorf("Read = %q, want hello world", got)
	}
	n, errno = f.Read(buf)
	if n != 0 || errno != 0 {
		t.Errorf("Read at the end = %d, %v; want 0 and no error", n, errno)
	}
	_, errno = f.Pwrite([]byte("W"), 6)
	must(t, "Pwrite", errno)
	n, errno = f.Pread(buf, 6)
	must(t, "Pread", errno)
	if got := string(buf[:n]); got != "World" {
		t.Errorf("Pread = %q, want World", got)
	}
	must(t, "Truncate", f.Truncate(5))
	st, errno := f.Stat()
	must(t, "Stat", errno)
	if st.Size != 5 {
		t.Errorf("size after Truncate(5) = %d", st.Size)
	}
	if dev, _ := f.Dev(); dev != st.Dev {
		t.Errorf("Dev = %d, Stat says %d", dev, st.Dev)
	}
	if ino, _ := f.Ino(); ino != st.Ino || ino == 0 {
		t.Errorf("Ino = %d, Stat says %d", ino, st.Ino)
	}
	must(t, "Sync", f.Sync())
	must(t, "Datasync", f.Datasync())

	_, errno = f.Seek(0, 3)
	wantErrno(t, "Seek with whence 3", errno, experimentalsys.EINVAL)
	_, errno = f.Pread(buf, -1)
	wantErrno(t, "Pread at -1", errno, experimentalsys.EINVAL)
	_, errno = f.Pwrite(buf, -1)
	wantErrno(t, "Pwrite at -1", errno, experimentalsys.EINVAL)
	wantErrno(t, "Truncate(-1)", f.Truncate(-1), experimentalsys.EINVAL)
	_, errno = f.Readdir(-1)
	wantErrno(t, "Readdir of a file", errno, experimentalsys.EBADF)
}

func TestFileSetAppend(t *testing.T) {
	_, mnt := layout(t, false)
	fsys := openFS(t, mnt, false)
	f := openFile(t, fsys, "hello.txt", wronly)
	if f.IsAppend() {
		t.Fatal("IsAppend before SetAppend")
	}
	must(t, "SetAppend(true)", f.SetAppend(true))
	if !f.IsAppend() {
		t.Fatal("not IsAppend after SetAppend(true)")
	}
	_, errno := f.Write([]byte("!"))
	must(t, "Write", errno)
	must(t, "SetAppend(false)", f.SetAppend(false))
	_, errno = f.Pwrite([]byte("J"), 0)
	must(t, "Pwrite", errno)
	if b, _ := os.ReadFile(filepath.Join(mnt, "hello.txt")); string(b) != "Jello!" {
		t.Errorf("hello.txt = %q, want Jello!", b)
	}

	// SetAppend opens the path again: it must not pick up another file.
	if err := os.Rename(filepath.Join(mnt, "sub", "inner.txt"), filepath.Join(mnt, "hello.txt")); err != nil {
		t.Fatal(err)
	}
	wantErrno(t, "SetAppend after the file was replaced", f.SetAppend(true), experimentalsys.ENOENT)
}

func TestDirFile(t *testing.T) {
	_, mnt := layout(t, false)
	fsys := openFS(t, mnt, false)
	d := openFile(t, fsys, "sub", rdonly|direct)

	if isDir, _ := d.IsDir(); !isDir {
		t.Fatal("IsDir = false for a directory")
	}
	_, errno := d.Read(make([]byte, 8))
	wantErrno(t, "Read", errno, experimentalsys.EISDIR)
	_, errno = d.Write([]byte("x"))
	wantErrno(t, "Write", errno, experimentalsys.EISDIR)
	wantErrno(t, "Truncate", d.Truncate(0), experimentalsys.EISDIR)

	names := func(n int) []string {
		t.Helper()
		dirents, errno := d.Readdir(n)
		must(t, "Readdir", errno)
		var names []string
		for _, e := range dirents {
			if e.Ino == 0 {
				t.Errorf("%s has no inode number", e.Name)
			}
			names = append(names, e.Name)
		}
		slices.Sort(names)
		return names
	}
	if got := names(-1); !slices.Equal(got, []string{"inner.txt"}) {
		t.Errorf("Readdir = %q, want [inner.txt]", got)
	}
	if got := names(1); len(got) != 0 {
		t.Errorf("Readdir at the end = %q, want none", got)
	}

	// After a rewind, Readdir sees entries made since the directory was opened.
	f, errno := fsys.OpenFile("sub/later", wronly|creat, 0o644)
	must(t, "OpenFile sub/later", errno)
	f.Close()
	_, errno = d.Seek(0, io.SeekStart)
	must(t, "Seek to rewind", errno)
	if got := append(names(1), names(1)...); !slices.Equal(slices.Sorted(slices.Values(got)), []string{"inner.txt", "later"}) {
		t.Errorf("Readdir(1) twice = %q, want inner.txt and later", got)
	}
}

func TestFileClosed(t *testing.T) {
	_, mnt := layout(t, false)
	f, errno := openFS(t, mnt, false).OpenFile("hello.txt", rdwr, 0)
	must(t, "OpenFile", errno)
	must(t, "Close", f.Close())
	must(t, "Close again", f.Close())

	buf := make([]byte, 4)
	for name, errno := range map[string]experimentalsys.Errno{
		"Read":      second(f.Read(buf)),
		"Pread":     second(f.Pread(buf, 0)),
		"Write":     second(f.Write(buf)),
		"Pwrite":    second(f.Pwrite(buf, 0)),
		"Seek":      second(f.Seek(0, io.SeekStart)),
		"Readdir":   second(f.Readdir(-1)),
		"Stat":      second(f.Stat()),
		"Truncate":  f.Truncate(0),
		"Sync":      f.Sync(),
		"Utimens":   f.Utimens(touch, touch),
		"SetAppend": f.SetAppend(true),
	} {
		wantErrno(t, name, errno, experimentalsys.EBADF)
	}
}

func second[T any](_ T, errno experimentalsys.Errno) experimentalsys.Errno { return errno }

func TestFileUtimens(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("futimens is implemented on Linux only; elsewhere wazero falls back to FS.Utimens")
	}
	_, mnt := layout(t, false)
	f := openFile(t, openFS(t, mnt, false), "hello.txt", rdonly)
	must(t, "Utimens", f.Utimens(experimentalsys.UTIME_OMIT, touch))
	must(t, "Utimens with both omitted", f.Utimens(experimentalsys.UTIME_OMIT, experimentalsys.UTIME_OMIT))
	info, err := os.Stat(filepath.Join(mnt, "hello.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !info.ModTime().Equal(touchTime) {
		t.Errorf("mtime = %v, want %v", info.ModTime(), touchTime)
	}
}

func TestReadOnlyFile(t *testing.T) {
	_, mnt := layout(t, false)
	fsys := openFS(t, mnt, true)
	f := openFile(t, fsys, "hello.txt", rdonly)
	d := openFile(t, fsys, "sub", rdonly)
	before := tree(t, mnt, "", true)

	buf := make([]byte, 8)
	n, errno := f.Read(buf)
	must(t, "Read", errno)
	if string(buf[:n]) != "hello" {
		t.Errorf("Read = %q, want hello", buf[:n])
	}
	// What POSIX gives for a descriptor open for reading on a read-only
	// file system: writes and truncation need a descriptor open for
	// writing (EBADF; wazero's sysfs.ReadFS also says EISDIR for a
	// directory), times need a writable file system (EROFS, where ReadFS
	// says EBADF), and a sync has nothing to do (ReadFS: EBADF).
	for name, tc := range map[string]struct{ got, want experimentalsys.Errno }{
		"Write":        {second(f.Write(buf)), experimentalsys.EBADF},
		"Pwrite":       {second(f.Pwrite(buf, 0)), experimentalsys.EBADF},
		"Truncate":     {f.Truncate(0), experimentalsys.EBADF},
		"Sync":         {f.Sync(), 0},
		"Datasync":     {f.Datasync(), 0},
		"Utimens":      {f.Utimens(touch, touch), experimentalsys.EROFS},
		"Write dir":    {second(d.Write(buf)), experimentalsys.EISDIR},
		"Truncate dir": {d.Truncate(0), experimentalsys.EISDIR},
		"Utimens dir":  {d.Utimens(touch, touch), experimentalsys.EROFS},
		"Sync dir":     {d.Sync(), 0},
	} {
		wantErrno(t, name, tc.got, tc.want)
	}
	if d := diffTrees(before, tree(t, mnt, "", true)); d != "" {
		t.Errorf("changed a read-only directory:\n%s", d)
	}
}

func TestOpenNoFollowLeavesTargetAlone(t *testing.T) {
	_, mnt := layout(t, false)
	_, errno := openFS(t, mnt, false).OpenFile("rel-in", wronly|trunc|nofoll, 0)
	wantErrno(t, "OpenFile rel-in O_TRUNC|O_NOFOLLOW", errno, experimentalsys.ELOOP)
	if b, _ := os.ReadFile(filepath.Join(mnt, "sub", "inner.txt")); string(b) != "inner" {
		t.Errorf("the link's target was changed to %q", b)
	}
}

func TestOpenRefusesNonDirectories(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{filepath.Join(t.TempDir(), "missing"), file} {
		fsys, err := rootfs.Open(dir)
		if err == nil {
			fsys.Close()
			t.Errorf("Open(%s) succeeded", dir)
			continue
		}
		if !strings.Contains(err.Error(), "name an existing directory") {
			t.Errorf("Open(%s): %v; want it to say how to fix it", dir, err)
		}
	}
	if _, err := rootfs.Open(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open of a missing directory: %v; want one matching fs.ErrNotExist", err)
	}
}
