package rootfs_test

import (
	"fmt"
	"strings"
	"testing"

	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/experimental/sysfs"

	"github.com/wisphq/wisp/internal/engine/rootfs"
)

const (
	rdonly = experimentalsys.O_RDONLY
	wronly = experimentalsys.O_WRONLY
	rdwr   = experimentalsys.O_RDWR
	creat  = experimentalsys.O_CREAT
	excl   = experimentalsys.O_EXCL
	trunc  = experimentalsys.O_TRUNC
	direct = experimentalsys.O_DIRECTORY
	nofoll = experimentalsys.O_NOFOLLOW
)

func openFS(t testing.TB, dir string, readOnly bool) *rootfs.FS {
	t.Helper()
	open := rootfs.Open
	if readOnly {
		open = rootfs.OpenReadOnly
	}
	fsys, err := open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fsys.Close() })
	return fsys
}

// op is one sys.FS call. For OpenFile it also reads the file and, when
// data is set, writes it, so results include what the file held.
type op struct {
	name string
	do   func(experimentalsys.FS) (string, experimentalsys.Errno)
}

func openOp(path string, flag experimentalsys.Oflag, data string) op {
	name := fmt.Sprintf("OpenFile %q %s", path, flagNames(flag))
	if data != "" {
		name += " and write"
	}
	return op{name, func(fsys experimentalsys.FS) (string, experimentalsys.Errno) {
		f, errno := fsys.OpenFile(path, flag, 0o644)
		if errno != 0 {
			return "", errno
		}
		defer f.Close()
		if data != "" {
			if _, errno := f.Write([]byte(data)); errno != 0 {
				return "", errno
			}
			return "", 0
		}
		if isDir, _ := f.IsDir(); isDir {
			return "dir", 0
		}
		buf := make([]byte, 64)
		n, errno := f.Read(buf)
		return string(buf[:n]), errno
	}}
}

// flagNames returns "O_WRONLY|O_CREAT" for wronly|creat.
func flagNames(flag experimentalsys.Oflag) string {
	names := []string{"O_RDONLY"}
	switch flag & (rdonly | wronly | rdwr) {
	case wronly:
		names[0] = "O_WRONLY"
	case rdwr:
		names[0] = "O_RDWR"
	}
	for _, f := range []struct {
		flag experimentalsys.Oflag
		name string
	}{{experimentalsys.O_APPEND, "O_APPEND"}, {creat, "O_CREAT"}, {direct, "O_DIRECTORY"}, {excl, "O_EXCL"}, {nofoll, "O_NOFOLLOW"}, {trunc, "O_TRUNC"}} {
		if flag&f.flag != 0 {
			names = append(names, f.name)
		}
	}
	return strings.Join(names, "|")
}

func statOp(path string, follow bool) op {
	name := "Lstat " + path
	if follow {
		name = "Stat " + path
	}
	return op{name, func(fsys experimentalsys.FS) (string, experimentalsys.Errno) {
		stat := fsys.Lstat
		if follow {
			stat = fsys.Stat
		}
		st, errno := stat(path)
		return st.Mode.Type().String(), errno
	}}
}

func errnoOp(name string, do func(experimentalsys.FS) experimentalsys.Errno) op {
	return op{name, func(fsys experimentalsys.FS) (string, experimentalsys.Errno) { return "", do(fsys) }}
}

// call is an op that calls the named sys.FS method with paths args: Mkdir
// with mode 0o755, Chmod with 0o600, Utimens with touchTime for both.
func call(method string, args ...string) op {
	name := method + " " + strings.Join(args, " ")
	return op{name, func(fsys experimentalsys.FS) (string, experimentalsys.Errno) {
		switch method {
		case "Mkdir":
			return "", fsys.Mkdir(args[0], 0o755)
		case "Chmod":
			return "", fsys.Chmod(args[0], 0o600)
		case "Rmdir":
			return "", fsys.Rmdir(args[0])
		case "Unlink":
			return "", fsys.Unlink(args[0])
		case "Utimens":
			return "", fsys.Utimens(args[0], touch, touch)
		case "Readlink":
			return fsys.Readlink(args[0])
		case "Rename":
			return "", fsys.Rename(args[0], args[1])
		case "Link":
			return "", fsys.Link(args[0], args[1])
		case "Symlink":
			return "", fsys.Symlink(args[0], args[1])
		}
		panic("call: no method " + method)
	}}
}

var touch = touchTime.UnixNano()

// TestFSEscapes checks that no path leaves the directory: each call fails
// with EPERM and nothing outside changes.
func TestFSEscapes(t *testing.T) {
	for _, tc := range []struct {
		op   op
		want experimentalsys.Errno
	}{
		{openOp("..", rdonly, ""), experimentalsys.EPERM},
		{openOp("../outside/secret.txt", rdonly, ""), experimentalsys.EPERM},
		{openOp("sub/../../outside/secret.txt", rdonly, ""), experimentalsys.EPERM},
		{openOp("rel-out/secret.txt", rdonly, ""), experimentalsys.EPERM},
		{openOp("abs-out/secret.txt", rdonly, ""), experimentalsys.EPERM},
		{openOp("abs-etc/passwd", rdonly, ""), experimentalsys.EPERM},
		{openOp("abs-out/secret.txt", wronly|trunc, "pwned"), experimentalsys.EPERM},
		{openOp("abs-out/new", wronly|creat, "pwned"), experimentalsys.EPERM},
		{openOp("rel-out/new", wronly|creat|excl, "pwned"), experimentalsys.EPERM},
		{openOp("rel-out/dir/", rdonly|direct, ""), experimentalsys.EPERM},
		{openOp("abs-out", rdonly|nofoll, ""), experimentalsys.ELOOP},
		{statOp("abs-out/secret.txt", false), experimentalsys.EPERM},
		{statOp("rel-out/secret.txt", true), experimentalsys.EPERM},
		{statOp("abs-etc", true), experimentalsys.EPERM},
		{statOp("abs-etc/", false), experimentalsys.EPERM},
		{call("Mkdir", "rel-out/made"), experimentalsys.EPERM},
		{call("Mkdir", "../made"), experimentalsys.EPERM},
		{call("Rmdir", "abs-out/dir"), experimentalsys.EPERM},
		{call("Unlink", "rel-out/secret.txt"), experimentalsys.EPERM},
		{call("Rename", "abs-out/secret.txt", "stolen"), experimentalsys.EPERM},
		{call("Rename", "hello.txt", "rel-out/planted"), experimentalsys.EPERM},
		{call("Link", "abs-out/secret.txt", "stolen"), experimentalsys.EPERM},
		{call("Link", "hello.txt", "../planted"), experimentalsys.EPERM},
		{call("Symlink", "x", "rel-out/l"), experimentalsys.EPERM},
		{call("Symlink", "/etc", "l"), experimentalsys.EPERM},
		{call("Chmod", "abs-out/secret.txt"), experimentalsys.EPERM},
		{call("Chmod", "rel-out"), experimentalsys.EPERM},
		{call("Utimens", "abs-out/secret.txt"), experimentalsys.EPERM},
		{call("Readlink", "rel-out/x"), experimentalsys.EPERM},
		{errnoOp("up then up/x", func(fsys experimentalsys.FS) experimentalsys.Errno {
			if errno := fsys.Symlink("..", "up"); errno != 0 {
				return errno
			}
			f, errno := fsys.OpenFile("up/x", wronly|creat, 0o644)
			if errno == 0 {
				f.Close()
			}
			return errno
		}), experimentalsys.EPERM},
	} {
		t.Run(tc.op.name, func(t *testing.T) {
			t.Parallel()
			base, mnt := layout(t, true)
			before := tree(t, base, "mnt", true)
			got, errno := tc.op.do(openFS(t, mnt, false))
			if errno != tc.want {
				t.Errorf("errno = %v, want %v", errno, tc.want)
			}
			if strings.Contains(got, "secret") {
				t.Errorf("read %q from outside the root", got)
			}
			if d := diffTrees(before, tree(t, base, "mnt", true)); d != "" {
				t.Errorf("changed the host outside the root:\n%s", d)
			}
		})
	}
}

// parityOps are calls that stay inside the directory, for which an FS
// should behave as wazero's sysfs.DirFS.
var parityOps = []op{
	openOp("hello.txt", rdonly, ""),
	openOp("", rdonly, ""),
	openOp(".", rdonly, ""),
	openOp("/", rdonly|direct, ""),
	openOp("sub/", rdonly, ""),
	openOp("missing", rdonly, ""),
	openOp("missing/x", rdonly, ""),
	openOp("hello.txt/", rdonly, ""),
	openOp("hello.txt/x", rdonly, ""),
	openOp("hello.txt", rdonly|direct, ""),
	openOp("sub", rdwr, ""),
	openOp("sub", wronly|direct, ""),
	openOp("rel-in", rdonly, ""),
	openOp("rel-in-dir/inner.txt", rdonly, ""),
	openOp("rel-in", rdonly|nofoll, ""),
	openOp("rel-in-dir", rdonly|direct|nofoll, ""),
	openOp("hello.txt", rdonly|nofoll, ""),
	openOp("new", wronly|creat, "data"),
	openOp("new", wronly|creat|excl, "data"),
	openOp("hello.txt", wronly|creat|excl, "data"),
	openOp("dangling", wronly|creat, "data"),
	openOp("dangling", wronly|creat|excl, "data"),
	openOp("hello.txt", wronly|trunc, "bye"),
	openOp("hello.txt", rdonly|trunc, ""),
	openOp("hello.txt", wronly|experimentalsys.O_APPEND, "!"),
	openOp("hello.txt", rdonly, "x"), // write to a read-only descriptor
	openOp("rel-in", wronly|trunc, "via link"),
	statOp("hello.txt", true),
	statOp("rel-in", false),
	statOp("rel-in", true),
	statOp("rel-in-dir/", false),
	statOp("dangling", false),
	statOp("dangling", true),
	statOp("missing", true),
	statOp("hello.txt/", true),
	statOp("", true),
	call("Mkdir", "new"),
	call("Mkdir", "new/"),
	call("Mkdir", "sub"),
	call("Mkdir", "hello.txt"),
	call("Mkdir", "missing/x"),
	call("Mkdir", "hello.txt/x"),
	call("Mkdir", "dangling"),
	call("Chmod", "hello.txt"),
	call("Chmod", "rel-in"),
	call("Chmod", "missing"),
	call("Rename", "hello.txt", "renamed"),
	call("Rename", "hello.txt", "sub/inner.txt"),
	call("Rename", "hello.txt", "empty"),
	call("Rename", "empty", "hello.txt"),
	call("Rename", "sub", "sub/x"),
	call("Rename", "rel-in-dir", "moved"),
	call("Rename", "hello.txt", "hello.txt"),
	call("Rename", "missing", "x"),
	call("Rmdir", "empty"),
	call("Rmdir", "sub"),
	call("Rmdir", "hello.txt"),
	call("Rmdir", "rel-in-dir"),
	call("Rmdir", "missing"),
	call("Rmdir", "."),
	call("Unlink", "hello.txt"),
	call("Unlink", "empty"),
	call("Unlink", "rel-in-dir"),
	call("Unlink", "dangling"),
	call("Unlink", "missing"),
	call("Unlink", "hello.txt/"),
	call("Link", "hello.txt", "hard"),
	call("Link", "hello.txt", "sub/inner.txt"),
	call("Link", "missing", "hard"),
	call("Link", "sub", "hard"),
	call("Symlink", "hello.txt", "l"),
	call("Symlink", "x", "hello.txt"),
	call("Symlink", "x", "missing/l"),
	call("Symlink", "/x", "l"),
	call("Readlink", "rel-in"),
	call("Readlink", "hello.txt"),
	call("Readlink", "missing"),
	call("Utimens", "hello.txt"),
	errnoOp("Utimens mtime", func(fsys experimentalsys.FS) experimentalsys.Errno {
		return fsys.Utimens("hello.txt", experimentalsys.UTIME_OMIT, touch)
	}),
	call("Utimens", "rel-in"),
	call("Utimens", "missing"),
}

// TestFSMatchesDirFS runs each call against wazero's sysfs.DirFS and an
// FS, on identical directories, and checks they agree on the errno, on what
// was read, and on the directory afterwards, except for the calls in
// differs, where the errnos are as listed and an FS changes nothing.
func TestFSMatchesDirFS(t *testing.T) {
	differs := map[string]struct{ dirFS, rootFS experimentalsys.Errno }{
		// rename(2) replaces an empty directory; os.Root refuses.
		"Rename sub empty": {0, experimentalsys.EEXIST},
		"Rename empty sub": {experimentalsys.ENOTEMPTY, experimentalsys.EEXIST},
		// DirFS runs rmdir on the mounted directory itself (and would
		// remove it if it were empty); rmdir(".") is EINVAL.
		"Rmdir .": {experimentalsys.ENOTEMPTY, experimentalsys.EINVAL},
	}
	for _, o := range append(parityOps, call("Rename", "sub", "empty"), call("Rename", "empty", "sub")) {
		t.Run(o.name, func(t *testing.T) {
			t.Parallel()
			_, dirMnt := layout(t, false)
			_, rootMnt := layout(t, false)
			before := tree(t, rootMnt, "", false)
			wantGot, wantErrno := o.do(sysfs.DirFS(dirMnt))
			got, errno := o.do(openFS(t, rootMnt, false))

			if d, ok := differs[o.name]; ok {
				if wantErrno != d.dirFS || errno != d.rootFS {
					t.Errorf("DirFS: %v, FS: %v; want %v and %v", wantErrno, errno, d.dirFS, d.rootFS)
				}
				if diff := diffTrees(before, tree(t, rootMnt, "", false)); diff != "" {
					t.Errorf("failed, yet changed the directory:\n%s", diff)
				}
				return
			}
			if errno != wantErrno || got != wantGot {
				t.Errorf("FS: %q, %v; DirFS: %q, %v", got, errno, wantGot, wantErrno)
			}
			if d := diffTrees(tree(t, dirMnt, "", false), tree(t, rootMnt, "", false)); d != "" {
				t.Errorf("the directories differ afterwards (DirFS => FS):\n%s", d)
			}
		})
	}
}

// TestReadOnlyFS checks that a read-only FS reads as DirFS does, refuses
// every change and leaves the directory as it was. Opens and mkdir answer
// as on a read-only file system (ReadOnlyOpen, ReadOnlyCreate): as DirFS
// on a writable copy where that fails or changes nothing, and EROFS where
// it changes the directory. Every other call answers as wazero's
// sysfs.ReadFS.
func TestReadOnlyFS(t *testing.T) {
	for _, o := range parityOps {
		t.Run(o.name, func(t *testing.T) {
			t.Parallel()
			_, dirMnt := layout(t, false)
			_, rootMnt := layout(t, false)
			before := tree(t, rootMnt, "", true)
			got, errno := o.do(openFS(t, rootMnt, true))

			var wantGot string
			var wantErrno experimentalsys.Errno
			if strings.HasPrefix(o.name, "OpenFile ") || strings.HasPrefix(o.name, "Mkdir ") {
				dirBefore := tree(t, dirMnt, "", true)
				wantGot, wantErrno = o.do(sysfs.DirFS(dirMnt))
				if diffTrees(dirBefore, tree(t, dirMnt, "", true)) != "" {
					wantGot, wantErrno = "", experimentalsys.EROFS
				}
			} else {
				wantGot, wantErrno = o.do(&sysfs.ReadFS{FS: sysfs.DirFS(dirMnt)})
			}
			if errno != wantErrno || got != wantGot {
				t.Errorf("FS: %q, %v; want %q, %v", got, errno, wantGot, wantErrno)
			}
			if d := diffTrees(before, tree(t, rootMnt, "", true)); d != "" {
				t.Errorf("changed a read-only directory:\n%s", d)
			}
		})
	}
}
