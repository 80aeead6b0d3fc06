package bundle_test

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/wisphq/wisp/internal/bundle"

	"github.com/wisphq/wisp/internal/golden"
)

var update = flag.Bool("update", false, "rewrite testdata/tree.sha256 with the digest Pack gives now")

// treeFiles lists testdata/tree: what every bundle of it must hold.
var treeFiles = []string{
	"css-print.css",
	"css/site.css",
	"docs/guide/chapter-1/a-file-with-a-name-long-enough-that-its-path-needs-more-than-the-hundred-bytes-ustar-allows.txt",
	"empty.txt",
	"img/logo.svg",
	"index.html",
}

func pack(t testing.TB, dir string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := bundle.Pack(&buf, dir, 1<<20); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestPackLoadRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	stats, err := bundle.Pack(&buf, "testdata/tree", 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	fsys, err := bundle.Load(&buf, 1<<20, 100)
	if err != nil {
		t.Fatal(err)
	}
	if got := fsys.Stats(); got != stats {
		t.Errorf("Load's stats %+v differ from Pack's %+v", got, stats)
	}
	want := bundle.Stats{Files: len(treeFiles), Dirs: 5}
	for _, name := range treeFiles {
		data, err := os.ReadFile(filepath.Join("testdata", "tree", filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		want.Bytes += int64(len(data))
		got, err := fsys.ReadFile(name)
		if err != nil {
			t.Errorf("ReadFile(%q): %v", name, err)
		} else if !bytes.Equal(got, data) {
			t.Errorf("ReadFile(%q) = %q, want %q", name, got, data)
		}
	}
	if stats != want {
		t.Errorf("Pack's stats = %+v, want %+v", stats, want)
	}
}

// TestPackDigest pins the bytes Pack writes for testdata/tree. Bundles are
// content-addressed, so a change here changes every bundle's digest: make
// sure that is intended before running go test -update.
func TestPackDigest(t *testing.T) {
	first := pack(t, "testdata/tree")
	if second := pack(t, "testdata/tree"); !bytes.Equal(first, second) {
		t.Fatal("two Packs of the same tree differ")
	}
	sum := sha256.Sum256(first)
	got := "sha256:" + hex.EncodeToString(sum[:]) + "\n"
	golden.Check(t, "testdata/tree.sha256", got, *update)
}

// TestPackIgnoresMetadata checks that times and permissions do not change
// the bundle: only names and contents do.
func TestPackIgnoresMetadata(t *testing.T) {
	dir := copyTree(t, "testdata/tree")
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		mode := fs.FileMode(0o600)
		if d.IsDir() {
			mode = 0o700
		}
		if err := os.Chmod(path, mode); err != nil {
			return err
		}
		return os.Chtimes(path, old, old)
	})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pack(t, dir), pack(t, "testdata/tree")) {
		t.Error("changing times and permissions changed the bundle")
	}
	writeFile(t, filepath.Join(dir, "index.html"), "changed")
	if bytes.Equal(pack(t, dir), pack(t, "testdata/tree")) {
		t.Error("changing a file's contents did not change the bundle")
	}
}

func TestPackHeaders(t *testing.T) {
	tr := tar.NewReader(bytes.NewReader(pack(t, "testdata/tree")))
	var names []string
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, hdr.Name)
		wantMode := int64(0o444)
		if hdr.Typeflag == tar.TypeDir {
			wantMode = 0o555
			if !strings.HasSuffix(hdr.Name, "/") {
				t.Errorf("directory %q does not end in /", hdr.Name)
			}
		}
		if hdr.Mode != wantMode || !hdr.ModTime.Equal(time.Unix(0, 0)) || hdr.Uid != 0 || hdr.Gid != 0 || hdr.Uname != "" || hdr.Gname != "" {
			t.Errorf("%s: mode %o, time %v, owner %d:%d %q:%q; want mode %o, the epoch and no owner",
				hdr.Name, hdr.Mode, hdr.ModTime, hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname, wantMode)
		}
	}
	want := []string{
		"css-print.css",
		"css/",
		"css/site.css",
		"docs/",
		"docs/guide/",
		"docs/guide/chapter-1/",
		treeFiles[2],
		"empty.txt",
		"img/",
		"img/logo.svg",
		"index.html",
	}
	// Sorted by path without the directories' "/": "css" < "css-print.css" < "css/site.css".
	slices.SortFunc(want, func(a, b string) int {
		return strings.Compare(strings.TrimSuffix(a, "/"), strings.TrimSuffix(b, "/"))
	})
	if !slices.Equal(names, want) {
		t.Errorf("entries\n got: %q\nwant: %q", names, want)
	}
}

func TestPackRefuses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, dir string) // adds the offending entry to a copy of testdata/tree
		want  string                         // the error, with DIR for the directory packed
	}{
		{
			name: "symlink",
			setup: func(t *testing.T, dir string) {
				if err := os.Symlink("index.html", filepath.Join(dir, "css", "home.html")); err != nil {
					t.Skip("cannot create symlinks here:", err)
				}
			},
			want: "bundle: DIR/css/home.html is a symbolic link; a bundle holds only regular files and directories: replace it with a copy of what it points to",
		},
		{
			name: "symlink to a directory",
			setup: func(t *testing.T, dir string) {
				if err := os.Symlink("css", filepath.Join(dir, "styles")); err != nil {
					t.Skip("cannot create symlinks here:", err)
				}
			},
			want: "bundle: DIR/styles is a symbolic link; a bundle holds only regular files and directories: replace it with a copy of what it points to",
		},
		{
			name: "socket",
			setup: func(t *testing.T, dir string) {
				l, err := net.Listen("unix", filepath.Join(dir, "sock"))
				if err != nil {
					t.Skip("cannot create a unix socket here:", err)
				}
				t.Cleanup(func() { l.Close() })
			},
			want: "bundle: DIR/sock is not a regular file or directory (it is a socket); a bundle holds only regular files and directories: move it out of DIR",
		},
		{
			name: "too large",
			setup: func(t *testing.T, dir string) {
				writeFile(t, filepath.Join(dir, "big.bin"), strings.Repeat("x", 1<<20))
			},
			want: "bundle: the files in DIR total TOTAL bytes, more than the limit of 1048576: remove large files or raise the limit",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A short directory name: unix socket paths are limited to about 100 bytes.
			dir, err := os.MkdirTemp("", "b")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(dir) })
			copyTreeTo(t, "testdata/tree", dir)
			tc.setup(t, dir)
			var buf bytes.Buffer
			_, err = bundle.Pack(&buf, dir, 1<<20)
			want := strings.ReplaceAll(tc.want, "DIR", dir)
			want = strings.ReplaceAll(want, "TOTAL", fmt.Sprint(treeBytes(t)+1<<20))
			if err == nil || err.Error() != want {
				t.Errorf("wrong error\n got: %v\nwant: %s", err, want)
			}
			if buf.Len() != 0 {
				t.Errorf("Pack wrote %d bytes before failing; want none", buf.Len())
			}
		})
	}
}

func TestPackSymlinkedRoot(t *testing.T) {
	link := filepath.Join(t.TempDir(), "static")
	target, err := filepath.Abs("testdata/tree")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Skip("cannot create symlinks here:", err)
	}
	if !bytes.Equal(pack(t, link), pack(t, "testdata/tree")) {
		t.Error("packing a symlink to the tree differs from packing the tree")
	}
}

func TestPackNotADirectory(t *testing.T) {
	for _, tc := range []struct{ name, path, want string }{
		{"file", "testdata/tree/index.html", "bundle: testdata/tree/index.html is not a directory: give the directory whose files the guest should see"},
		{"missing", "testdata/nope", "bundle: lstat testdata/nope: no such file or directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := bundle.Pack(io.Discard, tc.path, 0)
			if err == nil || err.Error() != tc.want {
				t.Errorf("wrong error\n got: %v\nwant: %s", err, tc.want)
			}
		})
	}
}

func TestPackEmptyDirectory(t *testing.T) {
	data := pack(t, t.TempDir())
	fsys, err := bundle.Load(bytes.NewReader(data), 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if entries, err := fsys.ReadDir("."); err != nil || len(entries) != 0 {
		t.Errorf("ReadDir(\".\") = %v, %v; want no entries", entries, err)
	}
}

// treeBytes returns the total size of the files in testdata/tree.
func treeBytes(t *testing.T) int64 {
	var total int64
	for _, name := range treeFiles {
		info, err := os.Stat(filepath.Join("testdata", "tree", filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		total += info.Size()
	}
	return total
}

// copyTree copies the directory tree at src to a new temporary directory.
func copyTree(t *testing.T, src string) string {
	dir := t.TempDir()
	copyTreeTo(t, src, dir)
	return dir
}

func copyTreeTo(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// treeMapFS returns testdata/tree as an fstest.MapFS, with other times and
// modes than the tree's.
func treeMapFS(t *testing.T) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	for _, name := range treeFiles {
		data, err := os.ReadFile(filepath.Join("testdata", "tree", filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		fsys[name] = &fstest.MapFile{Data: data, Mode: 0o600, ModTime: time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)}
	}
	return fsys
}

// TestPackFSMatchesPack checks that PackFS gives the bytes Pack gives for
// the same tree, from any fs.FS.
func TestPackFSMatchesPack(t *testing.T) {
	want := pack(t, "testdata/tree")
	root, err := os.OpenRoot("testdata/tree")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	for _, tc := range []struct {
		name string
		fsys fs.FS
	}{
		{"MapFS", treeMapFS(t)},
		{"os.Root", root.FS()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			stats, err := bundle.PackFS(&buf, tc.fsys, "static", 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Error("PackFS's bundle differs from Pack's of the same tree")
			}
			if wantStats := (bundle.Stats{Files: len(treeFiles), Dirs: 5, Bytes: treeBytes(t)}); stats != wantStats {
				t.Errorf("PackFS's stats = %+v, want %+v", stats, wantStats)
			}
		})
	}
}

// changingFS lists the entries of listed but opens those of opened: a tree
// that changed between PackFS's walk and its reads.
type changingFS struct{ listed, opened fstest.MapFS }

func (c changingFS) Open(name string) (fs.File, error) { return c.opened.Open(name) }

func (c changingFS) ReadDir(name string) ([]fs.DirEntry, error) { return c.listed.ReadDir(name) }

func TestPackFSRefuses(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(fsys fstest.MapFS) fs.FS // changes a copy of treeMapFS
		want   string
	}{
		{
			name: "symlink",
			change: func(fsys fstest.MapFS) fs.FS {
				fsys["css/home.html"] = &fstest.MapFile{Data: []byte("index.html"), Mode: fs.ModeSymlink | 0o777}
				return fsys
			},
			want: "bundle: static/css/home.html is a symbolic link; a bundle holds only regular files and directories: replace it with a copy of what it points to",
		},
		{
			name: "device",
			change: func(fsys fstest.MapFS) fs.FS {
				fsys["null"] = &fstest.MapFile{Mode: fs.ModeDevice | fs.ModeCharDevice | 0o666}
				return fsys
			},
			want: "bundle: static/null is not a regular file or directory (it is a character device); a bundle holds only regular files and directories: move it out of static",
		},
		{
			name: "backslash in a name",
			change: func(fsys fstest.MapFS) fs.FS {
				fsys[`css\site.css`] = &fstest.MapFile{Data: []byte("x")}
				return fsys
			},
			want: `bundle: static/css\site.css: not a clean relative path like "css/site.css" (no leading "/" or "./", no ".." or "." elements, no "//" or "\")`,
		},
		{
			name: "too large",
			change: func(fsys fstest.MapFS) fs.FS {
				fsys["big.bin"] = &fstest.MapFile{Data: bytes.Repeat([]byte("x"), 1<<20)}
				return fsys
			},
			want: "bundle: the files in static total TOTAL bytes, more than the limit of 1048576: remove large files or raise the limit",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			_, err := bundle.PackFS(&buf, tc.change(treeMapFS(t)), "static", 1<<20)
			want := strings.ReplaceAll(tc.want, "TOTAL", fmt.Sprint(treeBytes(t)+1<<20))
			if err == nil || err.Error() != want {
				t.Errorf("wrong error\n got: %v\nwant: %s", err, want)
			}
			if buf.Len() != 0 {
				t.Errorf("PackFS wrote %d bytes before failing; want none", buf.Len())
			}
		})
	}
}

// TestPackFSChangedWhilePacked checks that a file that changes between
// PackFS's walk and its read fails the pack.
func TestPackFSChangedWhilePacked(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opened *fstest.MapFile // index.html when it is read
		want   string
	}{
		{
			name:   "into a directory",
			opened: &fstest.MapFile{Mode: fs.ModeDir | 0o755},
			want:   "bundle: static/index.html: changed into something other than a regular file while being packed: pack again",
		},
		{
			name:   "into a named pipe",
			opened: &fstest.MapFile{Mode: fs.ModeNamedPipe | 0o644},
			want:   "bundle: static/index.html: changed into something other than a regular file while being packed: pack again",
		},
		{
			name:   "grown",
			opened: &fstest.MapFile{Data: []byte("<html>grown well beyond what it was when listed</html>" + strings.Repeat("x", 1<<10))},
			want:   "bundle: static/index.html: file changed size while being packed: pack again",
		},
		{
			name:   "removed",
			opened: nil,
			want:   "bundle: static/index.html: open index.html: file does not exist",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opened := treeMapFS(t)
			if tc.opened == nil {
				delete(opened, "index.html")
			} else {
				opened["index.html"] = tc.opened
			}
			_, err := bundle.PackFS(io.Discard, changingFS{listed: treeMapFS(t), opened: opened}, "static", 1<<20)
			if err == nil || err.Error() != tc.want {
				t.Errorf("wrong error\n got: %v\nwant: %s", err, tc.want)
			}
		})
	}
}
