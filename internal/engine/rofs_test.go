package engine

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wisphq/wisp/internal/bundle"
)

// loadBundle packs files (path -> contents; a path ending in "/" is an
// empty directory) with package bundle and loads it, as a deploy does.
func loadBundle(t *testing.T, files map[string]string) *bundle.FS {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var tarball bytes.Buffer
	if _, err := bundle.Pack(&tarball, dir, 1<<20); err != nil {
		t.Fatal(err)
	}
	b, err := bundle.Load(&tarball, 1<<20, 100)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBundleWritesFailAsOnAReadOnlyFileSystem runs rootfs's probe guest
// (rootfs/testdata/escape.c: one line per file operation, "ok" or the
// errno's name) with a deployed app's bundle mounted at /data, and checks
// that every way of changing it fails with the errno POSIX gives on a
// read-only file system, never ENOSYS and never a silent success, and
// that reads work.
func TestBundleWritesFailAsOnAReadOnlyFileSystem(t *testing.T) {
	b := loadBundle(t, map[string]string{"hello.txt": "hello", "sub/inner.txt": "inner", "empty/": ""})
	e := newEngine(t, "")
	wasm, err := os.ReadFile(filepath.Join("rootfs", "testdata", "escape.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := e.Compile(context.Background(), wasm, 16<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close(context.Background())
	p := mustPrepare(t, m, nil, []Mount{{FS: b, Guest: "/data"}})

	steps := []struct{ op, want string }{
		{"read /data/hello.txt", "ok hello"},
		{"ls /data", "ok empty hello.txt sub"},
		{"stat /data/hello.txt", "ok file 5"},
		// path_open asking to write, create or truncate
		{"write /data/hello.txt x", "EROFS"}, // O_WRONLY|O_CREAT|O_TRUNC
		{"write /data/new x", "EROFS"},
		{"write /data/missing/x y", "ENOENT"},
		{"append /data/hello.txt x", "EROFS"}, // O_WRONLY|O_APPEND
		{"openwr /data/hello.txt", "EROFS"},   // O_WRONLY
		{"openrw /data/hello.txt", "EROFS"},   // O_RDWR
		{"opentrunc /data/hello.txt", "EROFS"},
		{"openwr /data/missing", "ENOENT"},
		{"openwr /data/sub", "EISDIR"},
		{"create /data/new", "EROFS"}, // O_CREAT|O_EXCL
		{"create /data/hello.txt", "EEXIST"},
		{"opencreat /data/new", "EROFS"},
		{"opencreat /data/hello.txt", "ok"}, // nothing to create: opened for reading
		// a descriptor open for reading: fd_write, fd_filestat_set_size,
		// fd_filestat_set_times, fd_sync
		{"writero /data/hello.txt x", "EBADF"},
		{"ftruncate /data/hello.txt", "EBADF"},
		{"futimes /data/hello.txt", "EROFS"},
		{"fsync /data/hello.txt", "ok"},
		// path_* calls that change the tree
		{"truncate /data/hello.txt", "EROFS"},
		{"mkdir /data/d", "EROFS"},
		{"mkdir /data/sub", "EEXIST"},
		{"rmdir /data/empty", "EROFS"},
		{"unlink /data/hello.txt", "EROFS"},
		{"rename /data/hello.txt /data/renamed", "EROFS"},
		{"link /data/hello.txt /data/hard", "EROFS"},
		{"symlink hello.txt /data/l", "EROFS"},
		{"touch /data/hello.txt", "EROFS"}, // path_filestat_set_times
		// a file's name with a trailing slash names no directory
		{"read /data/hello.txt/", "ENOTDIR"},
		{"stat /data/hello.txt/", "ENOTDIR"},
		{"ls /data/hello.txt/", "ENOTDIR"},
		{"write /data/hello.txt/ x", "ENOTDIR"},
		{"ls /data/sub/", "ok inner.txt"},
		{"stat /data/sub/", "ok dir"},
		{"read /data/hello.txt", "ok hello"},
		{"ls /data", "ok empty hello.txt sub"},
	}
	args := []string{"escape.wasm"}
	for _, s := range steps {
		args = append(args, strings.Fields(s.op)...)
	}
	var stdout, stderr bytes.Buffer
	if err := p.Run(context.Background(), Call{Args: args, Stdout: &stdout, Stderr: &stderr}); err != nil {
		t.Fatalf("escape.wasm: %v; stderr: %s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
	if len(lines) != len(steps) {
		t.Fatalf("escape.wasm printed %d lines for %d operations:\n%s", len(lines), len(steps), stdout.String())
	}
	for i, s := range steps {
		if lines[i] != s.want {
			t.Errorf("%s: got %s, want %s", s.op, lines[i], s.want)
		}
	}
	if got, err := b.ReadFile("hello.txt"); err != nil || string(got) != "hello" {
		t.Errorf("hello.txt = %q, %v after the guest; want hello", got, err)
	}
}
