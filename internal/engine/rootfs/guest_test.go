package rootfs_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/wisphq/wisp/internal/engine"
)

// escapeWasm is testdata/escape.c: it runs the file operations its
// arguments name and prints one line per operation, "ok [DATA]" or the
// errno's name.
func escapeWasm(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "escape.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// runEscape runs testdata/escape.wasm through engine.RunCommand, as
// `wisp run --dir MNT:/data[:ro]` does, and returns its output lines.
func runEscape(t *testing.T, mnt string, readOnly bool, ops []string) []string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code, err := engine.RunCommand(context.Background(), escapeWasm(t), engine.CommandOptions{
		Args:   append([]string{"escape.wasm"}, ops...),
		Dirs:   []engine.DirMount{{Host: mnt, Guest: "/data", ReadOnly: readOnly}},
		Stdout: &stdout,
		Stderr: &stderr,
	})
	if err != nil || code != 0 {
		t.Fatalf("escape.wasm: exit code %d, error %v, stderr %q", code, err, stderr.String())
	}
	return strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
}

// step is one operation of escape.wasm and the line it should print.
type step struct {
	op   string // "read /data/x", "symlink .. /data/up"
	want string // "ok hello", "EPERM"
}

// TestGuestCannotEscape runs a real WASI guest (testdata/escape.c) with a
// directory mounted at /data and checks what each operation prints and
// that nothing outside the mounted directory changed.
func TestGuestCannotEscape(t *testing.T) {
	// /etc is a real host directory: make sure no case writes into it.
	etcProbe := "/etc/wisp-rootfs-escape-probe"
	t.Cleanup(func() { os.Remove(etcProbe) })

	for _, tc := range []struct {
		name     string
		readOnly bool
		steps    []step
		// inside checks the mounted directory afterwards; nil: unchanged
		// on a read-only mount, not checked otherwise.
		inside func(t *testing.T, mnt string)
	}{
		{
			name: "normal reads and writes work",
			steps: []step{
				{"read /data/hello.txt", "ok hello"},
				{"write /data/new.txt abc", "ok"},
				{"append /data/new.txt def", "ok"},
				{"read /data/new.txt", "ok abcdef"},
				{"create /data/new.txt", "EEXIST"},
				{"mkdir /data/d", "ok"},
				{"mkdir /data/d", "EEXIST"},
				{"write /data/d/f x", "ok"},
				{"ls /data/d", "ok f"},
				{"ls /data", "ok abs-etc abs-out d dangling empty hello.txt new.txt rel-in rel-in-dir rel-out sub"},
				{"stat /data/sub", "ok dir"},
				{"stat /data/hello.txt", "ok file 5"},
				{"rename /data/new.txt /data/d/moved", "ok"},
				{"unlink /data/d/f", "ok"},
				{"unlink /data/d", "EISDIR"},
				{"rmdir /data/sub", "ENOTEMPTY"},
				{"rmdir /data/empty", "ok"},
				{"link /data/d/moved /data/hard", "ok"},
				{"touch /data/hello.txt", "ok"},
				{"futimes /data/sub/inner.txt", "ok"},
				{"truncate /data/hard", "ok"},
				{"read /data/d/moved", "ok "},
				{"read /data/missing", "ENOENT"},
			},
			inside: func(t *testing.T, mnt string) {
				want := map[string]string{
					"hello.txt":     "-rw-r--r-- 5 \"hello\" touched",
					"sub/inner.txt": "-rw-r--r-- 5 \"inner\" touched",
					"d/moved":       "-rw------- 0 \"\" new", // wazero creates files 0600
					"hard":          "-rw------- 0 \"\" new",
				}
				got := tree(t, mnt, "", false)
				for p, w := range want {
					if got[p] != w {
						t.Errorf("%s is %q, want %q", p, got[p], w)
					}
				}
				for _, gone := range []string{"new.txt", "d/f", "empty"} {
					if _, ok := got[gone]; ok {
						t.Errorf("%s is still there", gone)
					}
				}
			},
		},
		{
			name: "dot-dot beyond the mount",
			steps: []step{
				{"read /data/../outside/secret.txt", "EPERM"},
				{"read /data/sub/../../outside/secret.txt", "EPERM"},
				{"write /data/../x pwned", "EPERM"},
				{"mkdir /data/../made", "EPERM"},
				{"symlink x /data/../l", "EPERM"},
				{"rename /data/hello.txt /data/../stolen", "EPERM"},
				{"ls /data/..", "EPERM"},
			},
		},
		{
			name: "host paths outside every mount",
			steps: []step{
				{"read /etc/passwd", "ENOTCAPABLE"},
				{"read /data/../../etc/passwd", "EPERM"},
				{"write /tmp/pwned x", "ENOTCAPABLE"},
				{"ls /", "ENOTCAPABLE"},
			},
		},
		{
			name: "absolute symlink to /etc made outside the guest",
			steps: []step{
				{"lstat /data/abs-etc", "ok link"},
				{"readlink /data/abs-etc", "ok /etc"},
				{"read /data/abs-etc/passwd", "EPERM"},
				{"stat /data/abs-etc", "EPERM"},
				{"ls /data/abs-etc", "EPERM"},
				{"write /data/abs-etc/wisp-rootfs-escape-probe x", "EPERM"},
				// wazero cleans paths lexically: this is etc/passwd in the mount.
				{"read /data/abs-etc/../etc/passwd", "ENOENT"},
			},
		},
		{
			name: "absolute symlink to a directory outside",
			steps: []step{
				{"read /data/abs-out/secret.txt", "EPERM"},
				{"write /data/abs-out/secret.txt pwned", "EPERM"},
				{"append /data/abs-out/secret.txt pwned", "EPERM"},
				{"write /data/abs-out/new pwned", "EPERM"},
				{"truncate /data/abs-out/secret.txt", "EPERM"},
				{"touch /data/abs-out/secret.txt", "EPERM"},
				{"mkdir /data/abs-out/made", "EPERM"},
				{"rmdir /data/abs-out/dir", "EPERM"},
				{"unlink /data/abs-out/secret.txt", "EPERM"},
				{"symlink x /data/abs-out/l", "EPERM"},
				{"rename /data/abs-out/secret.txt /data/stolen", "EPERM"},
				{"rename /data/hello.txt /data/abs-out/planted", "EPERM"},
				{"link /data/abs-out/secret.txt /data/stolen", "EPERM"},
				{"link /data/hello.txt /data/abs-out/planted", "EPERM"},
				{"ls /data/abs-out", "EPERM"},
				{"stat /data/abs-out/secret.txt", "EPERM"},
			},
		},
		{
			name: "relative symlink that climbs out",
			steps: []step{
				{"readlink /data/rel-out", "ok ../outside"},
				{"read /data/rel-out/secret.txt", "EPERM"},
				{"write /data/rel-out/secret.txt pwned", "EPERM"},
				{"write /data/rel-out/new pwned", "EPERM"},
				{"mkdir /data/rel-out/made", "EPERM"},
				{"unlink /data/rel-out/secret.txt", "EPERM"},
				{"rename /data/rel-out/secret.txt /data/stolen", "EPERM"},
				{"link /data/rel-out/secret.txt /data/stolen", "EPERM"},
				{"touch /data/rel-out/secret.txt", "EPERM"},
			},
		},
		{
			name: `symlink("..", "up") made by the guest, then up/x`,
			steps: []step{
				{"symlink .. /data/up", "ok"},
				{"readlink /data/up", "ok .."},
				{"write /data/up/x pwned", "EPERM"},
				{"create /data/up/x", "EPERM"},
				{"mkdir /data/up/made", "EPERM"},
				{"read /data/up/outside/secret.txt", "EPERM"},
				{"ls /data/up", "EPERM"},
				{"stat /data/up", "EPERM"},
				{"rename /data/hello.txt /data/up/stolen", "EPERM"},
				{"symlink ../outside/secret.txt /data/s", "ok"},
				{"read /data/s", "EPERM"},
				{"write /data/s pwned", "EPERM"},
				{"symlink ../../../../../../../../tmp/wisp-rootfs-probe /data/deep", "ok"},
				{"write /data/deep pwned", "EPERM"},
			},
			inside: func(t *testing.T, mnt string) {
				for link, target := range map[string]string{"up": "..", "s": "../outside/secret.txt"} {
					if got, err := os.Readlink(filepath.Join(mnt, link)); err != nil || got != target {
						t.Errorf("readlink %s = %q, %v; want %q", link, got, err, target)
					}
				}
				if _, err := os.Lstat("/tmp/wisp-rootfs-probe"); err == nil {
					os.Remove("/tmp/wisp-rootfs-probe")
					t.Error("the guest created /tmp/wisp-rootfs-probe")
				}
			},
		},
		{
			name: "absolute symlink targets are refused",
			steps: []step{
				{"symlink /etc /data/e", "EPERM"},
				{"symlink /data/hello.txt /data/h", "EPERM"},
				{"lstat /data/e", "ENOENT"},
			},
		},
		{
			name: "trailing slashes",
			steps: []step{
				{"read /data/hello.txt/", "ENOTDIR"},
				{"stat /data/hello.txt/", "ENOTDIR"},
				{"write /data/hello.txt/ x", "ENOTDIR"},
				{"mkdir /data/nd/", "ok"},
				{"ls /data/nd/", "ok"},
				{"stat /data/rel-in-dir/", "ok dir"},
				{"ls /data/rel-in-dir/", "ok inner.txt"},
				{"stat /data/rel-in/", "ENOTDIR"},
				{"stat /data/abs-out/", "EPERM"},
				{"stat /data/rel-out/", "EPERM"},
				{"ls /data/abs-etc/", "EPERM"},
				{"rmdir /data/nd/", "ok"},
			},
		},
		{
			name: "relative symlinks inside the mount work",
			steps: []step{
				{"read /data/rel-in", "ok inner"},
				{"stat /data/rel-in", "ok file 5"},
				{"lstat /data/rel-in", "ok link"},
				{"nofollow /data/rel-in", "ELOOP"},
				{"ls /data/rel-in-dir", "ok inner.txt"},
				{"write /data/rel-in-dir/new x", "ok"},
				{"symlink ../hello.txt /data/sub/up-and-in", "ok"},
				{"read /data/sub/up-and-in", "ok hello"},
				{"symlink ../sub/../rel-in /data/empty/chain", "ok"},
				{"read /data/empty/chain", "ok inner"},
				{"write /data/dangling made", "ok"},
				{"read /data/nothere", "ok made"},
				{"symlink loop /data/loop", "ok"},
				{"read /data/loop", "ELOOP"},
			},
			inside: func(t *testing.T, mnt string) {
				if b, err := os.ReadFile(filepath.Join(mnt, "sub", "new")); err != nil || string(b) != "x" {
					t.Errorf("sub/new = %q, %v; want x", b, err)
				}
			},
		},
		{
			name:     "read-only mount",
			readOnly: true,
			steps: []step{
				{"read /data/hello.txt", "ok hello"},
				{"read /data/rel-in", "ok inner"},
				{"ls /data/sub", "ok inner.txt"},
				{"stat /data/hello.txt", "ok file 5"},
				{"readlink /data/rel-in", "ok sub/inner.txt"},
				// What a read-only file system answers (see ReadOnlyOpen).
				{"write /data/hello.txt x", "EROFS"},
				{"write /data/new x", "EROFS"},
				{"append /data/hello.txt x", "EROFS"},
				{"openwr /data/hello.txt", "EROFS"},
				{"openrw /data/hello.txt", "EROFS"},
				{"opentrunc /data/hello.txt", "EROFS"},
				{"openwr /data/missing", "ENOENT"},
				{"openwr /data/sub", "EISDIR"},
				{"create /data/new", "EROFS"},
				{"create /data/hello.txt", "EEXIST"},
				{"opencreat /data/new", "EROFS"},
				{"opencreat /data/hello.txt", "ok"},
				{"write /data/dangling x", "EROFS"},
				{"write /data/missing/x y", "ENOENT"},
				{"writero /data/hello.txt x", "EBADF"},
				{"truncate /data/hello.txt", "EROFS"},
				{"ftruncate /data/hello.txt", "EBADF"},
				{"fsync /data/hello.txt", "ok"},
				{"mkdir /data/d", "EROFS"},
				{"mkdir /data/sub", "EEXIST"},
				{"rmdir /data/empty", "EROFS"},
				{"unlink /data/hello.txt", "EROFS"},
				{"symlink .. /data/up", "EROFS"},
				{"rename /data/hello.txt /data/renamed", "EROFS"},
				{"link /data/hello.txt /data/hard", "EROFS"},
				{"touch /data/hello.txt", "EROFS"},
				{"futimes /data/hello.txt", "EROFS"},
				{"read /data/hello.txt", "ok hello"},
				{"read /data/rel-out/secret.txt", "EPERM"},
				{"read /data/abs-etc/passwd", "EPERM"},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			base, mnt := layout(t, true)
			outside := tree(t, base, "mnt", true)
			mounted := tree(t, mnt, "", true)

			ops := make([]string, 0, len(tc.steps))
			for _, s := range tc.steps {
				ops = append(ops, strings.Fields(s.op)...)
			}
			got := runEscape(t, mnt, tc.readOnly, ops)
			if len(got) != len(tc.steps) {
				t.Fatalf("escape.wasm printed %d lines, want %d:\n%s", len(got), len(tc.steps), strings.Join(got, "\n"))
			}
			for i, s := range tc.steps {
				if got[i] != s.want {
					t.Errorf("%s: got %q, want %q", s.op, got[i], s.want)
				}
			}

			if d := diffTrees(outside, tree(t, base, "mnt", true)); d != "" {
				t.Errorf("the guest changed the host outside the mount:\n%s", d)
			}
			if _, err := os.Lstat(etcProbe); err == nil {
				t.Errorf("the guest created %s", etcProbe)
			}
			if tc.readOnly {
				if d := diffTrees(mounted, tree(t, mnt, "", true)); d != "" {
					t.Errorf("the guest changed a read-only mount:\n%s", d)
				}
			}
			if tc.inside != nil {
				tc.inside(t, mnt)
			}
		})
	}
}

// TestWazeroDirMountEscapes is the control for TestGuestCannotEscape: the
// same guest, mounted with wazero's own directory mounts (what `wisp run`
// used before package rootfs), does escape, and the host checks above see
// it. If wazero ever closes these holes, this test says so.
func TestWazeroDirMountEscapes(t *testing.T) {
	for _, tc := range []struct {
		name     string
		readOnly bool
		ops      string
		want     string // what appears outside the mount, or in a read-only one
	}{
		{"symlink up then write", false, "symlink .. /data/up write /data/up/x pwned", `created x (-rw------- 5 "pwned"`},
		{"write through an absolute link", false, "write /data/abs-out/secret.txt pwned", `changed outside/secret.txt`},
		{"create on a read-only mount", true, "opencreat /data/new", `created mnt/new`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base, mnt := layout(t, true)
			before := tree(t, base, "", true)
			fsc := wazero.NewFSConfig().WithDirMount(mnt, "/data")
			if tc.readOnly {
				fsc = wazero.NewFSConfig().WithReadOnlyDirMount(mnt, "/data")
			}
			ctx := context.Background()
			rt := wazero.NewRuntime(ctx)
			defer rt.Close(ctx)
			wasi_snapshot_preview1.MustInstantiate(ctx, rt)
			cfg := wazero.NewModuleConfig().WithFSConfig(fsc).
				WithArgs(append([]string{"escape.wasm"}, strings.Fields(tc.ops)...)...)
			if _, err := rt.InstantiateWithConfig(ctx, escapeWasm(t), cfg); err != nil {
				t.Fatal(err)
			}
			if d := diffTrees(before, tree(t, base, "", true)); !strings.Contains(d, tc.want) {
				t.Errorf("host changes:\n%s\nwant a line with %q", d, tc.want)
			}
		})
	}
}
