package wasi

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/wisphq/wisp/internal/component/canon"
)

// fsCall calls wasi:filesystem/types function name with args (Go values,
// handles as representations) and returns its one result.
func fsCall(t *testing.T, s *State, iface, name string, args ...any) any {
	t.Helper()
	f, ok := Interfaces()[iface][name]
	if !ok {
		t.Fatalf("%s %s: not implemented", iface, name)
	}
	res, err := f.Call(context.Background(), s, args)
	if err != nil {
		t.Fatalf("%s %s: %v", iface, name, err)
	}
	if len(res) == 0 {
		return nil
	}
	return res[0]
}

// outcome words a result<_, error-code>: "ok" or the error-code's name.
func outcome(v any) string {
	r := v.(canon.VariantValue)
	if r.Case == 0 {
		return "ok"
	}
	return errorCodeNames[r.Value.(uint32)]
}

// preopen returns the state of mounts and the representation of the
// first preopened directory.
func preopen(t *testing.T, mounts ...Mount) (*State, uint32) {
	t.Helper()
	s := &State{Mounts: mounts}
	dirs := fsCall(t, s, "wasi:filesystem/preopens", "get-directories").([]any)
	if len(dirs) != len(mounts) {
		t.Fatalf("get-directories returned %d directories, want %d", len(dirs), len(mounts))
	}
	for i, d := range dirs {
		if name := d.([]any)[1]; name != mounts[i].Guest {
			t.Errorf("preopen %d is named %q, want %q", i, name, mounts[i].Guest)
		}
	}
	return s, dirs[0].([]any)[0].(uint32)
}

func probeFS() fstest.MapFS {
	return fstest.MapFS{
		"hello.txt":         {Data: []byte("hello, files")},
		"sub/inner.txt":     {Data: []byte("inner")},
		"sub/deeper/x.txt":  {Data: []byte("x")},
		"empty/":            {Mode: 0o555 | os.ModeDir},
		"sub/deeper/y.data": {Data: make([]byte, 3000)},
	}
}

const fsTypes = "wasi:filesystem/types"

// open opens path under dir with the given flags and returns the result.
func open(t *testing.T, s *State, dir uint32, path string, oflags, dflags uint32) canon.VariantValue {
	t.Helper()
	return fsCall(t, s, fsTypes, "[method]descriptor.open-at", dir, uint32(0), path, oflags, dflags).(canon.VariantValue)
}

// Paths resolve under the directory they are relative to and never
// climb out of it; whatever would write fails as a read-only file
// system's call does.
func TestOpenAt(t *testing.T) {
	s, root := preopen(t, Mount{Guest: "/static", FS: probeFS()})
	sub := open(t, s, root, "sub", 0, flagRead).Value.(uint32)
	for _, tc := range []struct {
		name   string
		dir    uint32
		path   string
		oflags uint32
		dflags uint32
		want   string
	}{
		{"a file", root, "hello.txt", 0, flagRead, "ok"},
		{"a directory", root, "sub/deeper", openDirectory, flagRead, "ok"},
		{"dot dot inside", root, "sub/../hello.txt", 0, flagRead, "ok"},
		{"dots and slashes", root, "./sub//./inner.txt", 0, flagRead, "ok"},
		{"the directory itself", root, ".", 0, flagRead, "ok"},
		{"missing", root, "nope.txt", 0, flagRead, "no-entry"},
		{"empty path", root, "", 0, flagRead, "no-entry"},
		{"absolute", root, "/etc/passwd", 0, flagRead, "not-permitted"},
		{"climbing out", root, "../outside", 0, flagRead, "not-permitted"},
		{"climbing out through a subdirectory", root, "sub/../../outside", 0, flagRead, "not-permitted"},
		{"climbing out of an opened subdirectory", sub, "../hello.txt", 0, flagRead, "not-permitted"},
		{"under an opened subdirectory", sub, "deeper/x.txt", 0, flagRead, "ok"},
		{"a file with a slash", root, "hello.txt/", 0, flagRead, "not-directory"},
		{"through a file", root, "hello.txt/x", 0, flagRead, "not-directory"},
		{"a file as a directory", root, "hello.txt", openDirectory, flagRead, "not-directory"},
		{"a NUL byte", root, "hello\x00.txt", 0, flagRead, "invalid"},
		{"for writing", root, "hello.txt", 0, flagRead | flagWrite, "read-only"},
		{"truncating", root, "hello.txt", openTruncate, flagRead, "read-only"},
		{"creating", root, "new.txt", openCreate, flagRead | flagWrite, "read-only"},
		{"creating in a missing directory", root, "nodir/new.txt", openCreate, flagWrite, "no-entry"},
		{"creating under a file", root, "hello.txt/new.txt", openCreate, flagWrite, "not-directory"},
		{"creating exclusively what exists", root, "hello.txt", openCreate | openExclusive, flagRead, "exist"},
		{"creating what exists, for reading", root, "hello.txt", openCreate, flagRead, "ok"},
		{"a directory for writing", root, "sub", 0, flagWrite, "is-directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := outcome(open(t, s, tc.dir, tc.path, tc.oflags, tc.dflags)); got != tc.want {
				t.Errorf("open-at %q: %s, want %s", tc.path, got, tc.want)
			}
		})
	}
}

// Every call that would change the file system fails, with the code a
// read-only POSIX file system gives (what preview 1 modules get).
func TestWritesRefused(t *testing.T) {
	s, root := preopen(t, Mount{Guest: "/static", FS: probeFS()})
	file := open(t, s, root, "hello.txt", 0, flagRead).Value.(uint32)
	ts := canon.VariantValue{Case: 1}
	for _, tc := range []struct {
		name string
		args []any
		want string
	}{
		{"write", []any{file, []byte("x"), uint64(0)}, "bad-descriptor"},
		{"write", []any{root, []byte("x"), uint64(0)}, "is-directory"},
		{"write-via-stream", []any{file, uint64(0)}, "bad-descriptor"},
		{"append-via-stream", []any{file}, "bad-descriptor"},
		{"append-via-stream", []any{root}, "is-directory"},
		{"set-size", []any{file, uint64(0)}, "bad-descriptor"},
		{"set-times", []any{file, ts, ts}, "read-only"},
		{"set-times-at", []any{root, uint32(0), "hello.txt", ts, ts}, "read-only"},
		{"create-directory-at", []any{root, "newdir"}, "read-only"},
		{"create-directory-at", []any{root, "sub"}, "exist"},
		{"create-directory-at", []any{root, "nodir/newdir"}, "no-entry"},
		{"create-directory-at", []any{root, "../newdir"}, "not-permitted"},
		{"remove-directory-at", []any{root, "empty"}, "read-only"},
		{"unlink-file-at", []any{root, "hello.txt"}, "read-only"},
		{"unlink-file-at", []any{root, "../x"}, "not-permitted"},
		{"rename-at", []any{root, "hello.txt", root, "moved.txt"}, "read-only"},
		{"link-at", []any{root, uint32(0), "hello.txt", root, "linked.txt"}, "read-only"},
		{"symlink-at", []any{root, "/etc/passwd", "link"}, "read-only"},
		{"sync", []any{file}, "ok"},
		{"sync-data", []any{root}, "ok"},
		{"readlink-at", []any{root, "hello.txt"}, "invalid"},
		{"readlink-at", []any{root, "nope"}, "no-entry"},
	} {
		t.Run(tc.name+" "+tc.want, func(t *testing.T) {
			if got := outcome(fsCall(t, s, fsTypes, "[method]descriptor."+tc.name, tc.args...)); got != tc.want {
				t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
			}
		})
	}
	if got := fsCall(t, s, fsTypes, "[method]descriptor.get-flags", file).(canon.VariantValue).Value; got != uint32(flagRead) {
		t.Errorf("get-flags = %v, want read only", got)
	}
}

func TestReadStatList(t *testing.T) {
	s, root := preopen(t, Mount{Guest: "/static", FS: probeFS()})
	file := open(t, s, root, "hello.txt", 0, flagRead).Value.(uint32)
	read := func(n, off uint64) (string, bool) {
		r := fsCall(t, s, fsTypes, "[method]descriptor.read", file, n, off).(canon.VariantValue).Value.([]any)
		return string(r[0].([]byte)), r[1].(bool)
	}
	if data, eof := read(5, 0); data != "hello" || eof {
		t.Errorf("read(5, 0) = %q, %v", data, eof)
	}
	if data, eof := read(100, 7); data != "files" || !eof {
		t.Errorf("read(100, 7) = %q, %v", data, eof)
	}
	if data, eof := read(10, 100); data != "" || !eof {
		t.Errorf("read past the end = %q, %v", data, eof)
	}
	if got := outcome(fsCall(t, s, fsTypes, "[method]descriptor.read", root, uint64(1), uint64(0))); got != "is-directory" {
		t.Errorf("read of a directory: %s", got)
	}

	// read-via-stream from an offset, read through wasi:io/streams.
	in := fsCall(t, s, fsTypes, "[method]descriptor.read-via-stream", file, uint64(7)).(canon.VariantValue).Value.(uint32)
	var got []byte
	for {
		r := fsCall(t, s, "wasi:io/streams", "[method]input-stream.blocking-read", in, uint64(2)).(canon.VariantValue)
		if r.Case != 0 {
			break
		}
		got = append(got, r.Value.([]byte)...)
	}
	if string(got) != "files" {
		t.Errorf("read-via-stream(7) read %q, want %q", got, "files")
	}

	st := fsCall(t, s, fsTypes, "[method]descriptor.stat", file).(canon.VariantValue).Value.([]any)
	if st[0] != uint32(typeRegular) || st[2] != uint64(12) {
		t.Errorf("stat = %v, want a regular file of 12 bytes", st)
	}
	st = fsCall(t, s, fsTypes, "[method]descriptor.stat-at", root, uint32(0), "sub/deeper").(canon.VariantValue).Value.([]any)
	if st[0] != uint32(typeDirectory) {
		t.Errorf("stat-at sub/deeper = %v, want a directory", st)
	}

	list := func(dir uint32) []string {
		stream := fsCall(t, s, fsTypes, "[method]descriptor.read-directory", dir).(canon.VariantValue).Value.(uint32)
		var names []string
		for {
			e := fsCall(t, s, fsTypes, "[method]directory-entry-stream.read-directory-entry", stream).(canon.VariantValue).Value.(canon.VariantValue)
			if e.Case == 0 {
				return names
			}
			rec := e.Value.([]any)
			names = append(names, rec[1].(string)+"="+[]string{"unknown", "", "", "dir", "", "", "file"}[rec[0].(uint32)])
		}
	}
	if got, want := list(root), []string{"empty=dir", "hello.txt=file", "sub=dir"}; !slices.Equal(got, want) {
		t.Errorf("read-directory of the preopen = %v, want %v", got, want)
	}
	deeper := open(t, s, root, "sub/deeper", openDirectory, flagRead).Value.(uint32)
	if got, want := list(deeper), []string{"x.txt=file", "y.data=file"}; !slices.Equal(got, want) {
		t.Errorf("read-directory of sub/deeper = %v, want %v", got, want)
	}
	if got := outcome(fsCall(t, s, fsTypes, "[method]descriptor.read-directory", file)); got != "not-directory" {
		t.Errorf("read-directory of a file: %s", got)
	}

	// The same object hashes the same, whichever way it is reached.
	h1 := fsCall(t, s, fsTypes, "[method]descriptor.metadata-hash", file).(canon.VariantValue).Value
	h2 := fsCall(t, s, fsTypes, "[method]descriptor.metadata-hash-at", root, uint32(0), "sub/../hello.txt").(canon.VariantValue).Value
	h3 := fsCall(t, s, fsTypes, "[method]descriptor.metadata-hash-at", root, uint32(0), "sub/inner.txt").(canon.VariantValue).Value
	if !slices.Equal(h1.([]any), h2.([]any)) || slices.Equal(h1.([]any), h3.([]any)) {
		t.Errorf("metadata hashes: hello.txt %v and %v, sub/inner.txt %v", h1, h2, h3)
	}
	again := open(t, s, root, "./hello.txt", 0, flagRead).Value.(uint32)
	if !fsCall(t, s, fsTypes, "[method]descriptor.is-same-object", file, again).(bool) ||
		fsCall(t, s, fsTypes, "[method]descriptor.is-same-object", file, root).(bool) {
		t.Error("is-same-object does not tell the same file from another")
	}
}

// A guest cannot hold more than MaxOpenFiles files open; dropping one
// makes room.
func TestOpenFilesCapped(t *testing.T) {
	s, root := preopen(t, Mount{Guest: "/static", FS: probeFS()})
	var last uint32
	for i := range MaxOpenFiles {
		r := open(t, s, root, "hello.txt", 0, flagRead)
		if r.Case != 0 {
			t.Fatalf("open %d: %s", i, outcome(r))
		}
		last = r.Value.(uint32)
	}
	if got := outcome(open(t, s, root, "hello.txt", 0, flagRead)); got != "io" {
		t.Fatalf("open past MaxOpenFiles: %s, want io", got)
	}
	if got := outcome(open(t, s, root, "sub", 0, flagRead)); got != "ok" {
		t.Errorf("a directory past MaxOpenFiles: %s (directories hold no open file)", got)
	}
	fsCall(t, s, fsTypes, "[resource-drop]descriptor", last)
	if got := outcome(open(t, s, root, "hello.txt", 0, flagRead)); got != "ok" {
		t.Errorf("open after a drop: %s", got)
	}
}

// Over a directory of the host (wisp run --dir, an os.Root), a symbolic
// link out of the directory leads nowhere: opening or stating through it
// fails, and nothing outside is read.
func TestSymlinkConfined(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "in.txt"), []byte("in"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(dir, "abs")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../"+filepath.Base(outside)+"/secret.txt", filepath.Join(dir, "rel")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("in.txt", filepath.Join(dir, "inside")); err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	s, d := preopen(t, Mount{Guest: "/d", FS: root.FS()})
	for _, name := range []string{"abs", "rel"} {
		if got := outcome(open(t, s, d, name, 0, flagRead)); got != "not-permitted" {
			t.Errorf("open-at %s (a link out of the directory): %s, want not-permitted", name, got)
		}
		if got := outcome(fsCall(t, s, fsTypes, "[method]descriptor.stat-at", d, uint32(1), name)); got != "not-permitted" {
			t.Errorf("stat-at %s: %s, want not-permitted", name, got)
		}
	}
	r := open(t, s, d, "inside", 0, flagRead)
	if r.Case != 0 {
		t.Fatalf("open-at a link inside the directory: %s", outcome(r))
	}
	data := fsCall(t, s, fsTypes, "[method]descriptor.read", r.Value, uint64(10), uint64(0)).(canon.VariantValue).Value.([]any)[0]
	if string(data.([]byte)) != "in" {
		t.Errorf("read through a link inside = %q", data)
	}
}

// FuzzResolve holds path resolution, which reads a path the guest chose,
// to its rules for any input: the result is a valid io/fs path inside the
// descriptor's directory, or an error-code; never a panic, an absolute
// path or a ".." element.
func FuzzResolve(f *testing.F) {
	for _, p := range []string{"a", "../a", "a/../../b", "/etc", "a//./b/", "..", ".", "", "a\x00b", "sub/../sub/x/..", strings.Repeat("../", 40)} {
		f.Add("sub", p)
		f.Add(".", p)
	}
	f.Fuzz(func(t *testing.T, base, p string) {
		if !fs.ValidPath(base) {
			return
		}
		d := &descriptor{path: base, dir: true}
		got, _, err := d.resolve(p)
		if err != nil {
			if _, isCode := err.(fsError); !isCode {
				t.Fatalf("resolve(%q, %q): %v is not an error-code", base, p, err)
			}
			return
		}
		if !fs.ValidPath(got) {
			t.Fatalf("resolve(%q, %q) = %q, not a valid io/fs path", base, p, got)
		}
		if base != "." && got != base && !strings.HasPrefix(got, base+"/") {
			t.Fatalf("resolve(%q, %q) = %q, outside the directory", base, p, got)
		}
	})
}
