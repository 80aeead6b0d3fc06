package rootfs_test

import (
	"strings"
	"testing"

	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
)

// FuzzNoEscape makes a symbolic link with a fuzzed target and name, then
// runs one fuzzed call with fuzzed paths, and checks that nothing outside
// the root changed and that the secret outside it was never read.
func FuzzNoEscape(f *testing.F) {
	f.Add("..", "up", uint8(0), "up/outside/secret.txt", "")
	f.Add("..", "up", uint8(1), "up/x", "")
	f.Add("../outside", "out", uint8(1), "out/secret.txt", "")
	f.Add("sub/../..", "up2", uint8(2), "up2/made", "")
	f.Add("..", "up", uint8(5), "hello.txt", "up/stolen")
	f.Add("..", "up", uint8(6), "up/outside/secret.txt", "stolen")
	f.Add("", "", uint8(4), "abs-out/secret.txt", "")
	f.Add("", "", uint8(3), "rel-out/dir", "")
	f.Add("", "", uint8(9), "abs-out/secret.txt", "")
	f.Add("", "", uint8(10), "rel-out/secret.txt", "")
	f.Add("x/../../outside", "deep", uint8(0), "deep/secret.txt", "")
	f.Fuzz(func(t *testing.T, target, link string, which uint8, p1, p2 string) {
		base, mnt := layout(t, true)
		before := tree(t, base, "mnt", true)
		fsys := openFS(t, mnt, false)

		if target != "" && link != "" {
			fsys.Symlink(target, link)
		}
		ops := []func() (string, experimentalsys.Errno){
			func() (string, experimentalsys.Errno) { return readAll(fsys, p1) },
			func() (string, experimentalsys.Errno) {
				return "", writeAll(fsys, p1, experimentalsys.O_WRONLY|experimentalsys.O_CREAT|experimentalsys.O_TRUNC)
			},
			func() (string, experimentalsys.Errno) { return "", fsys.Mkdir(p1, 0o755) },
			func() (string, experimentalsys.Errno) { return "", fsys.Rmdir(p1) },
			func() (string, experimentalsys.Errno) { return "", fsys.Unlink(p1) },
			func() (string, experimentalsys.Errno) { return "", fsys.Rename(p1, p2) },
			func() (string, experimentalsys.Errno) {
				if errno := fsys.Link(p1, p2); errno != 0 {
					return "", errno
				}
				return readAll(fsys, p2) // a hard link to a file outside would read it
			},
			func() (string, experimentalsys.Errno) { return fsys.Readlink(p1) },
			func() (string, experimentalsys.Errno) {
				_, errno := fsys.Stat(p1)
				return "", errno
			},
			func() (string, experimentalsys.Errno) { return "", fsys.Utimens(p1, touch, touch) },
			func() (string, experimentalsys.Errno) { return "", fsys.Chmod(p1, 0o700) },
			func() (string, experimentalsys.Errno) {
				return "", writeAll(fsys, p1, experimentalsys.O_WRONLY|experimentalsys.O_APPEND)
			},
		}
		got, _ := ops[int(which)%len(ops)]()
		if strings.Contains(got, "secret") {
			t.Errorf("read %q from outside the root", got)
		}
		if d := diffTrees(before, tree(t, base, "mnt", true)); d != "" {
			t.Errorf("changed the host outside the root:\n%s", d)
		}
	})
}

func readAll(fsys experimentalsys.FS, path string) (string, experimentalsys.Errno) {
	f, errno := fsys.OpenFile(path, experimentalsys.O_RDONLY, 0)
	if errno != 0 {
		return "", errno
	}
	defer f.Close()
	buf := make([]byte, 64)
	n, errno := f.Read(buf)
	return string(buf[:n]), errno
}

func writeAll(fsys experimentalsys.FS, path string, flag experimentalsys.Oflag) experimentalsys.Errno {
	f, errno := fsys.OpenFile(path, flag, 0o644)
	if errno != 0 {
		return errno
	}
	defer f.Close()
	_, errno = f.Write([]byte("pwned"))
	return errno
}
