package manifest_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/internal/manifest"
)

// tree describes files to create for a test: a name ending in "/" is a
// directory, a value starting with "->" a symbolic link to the rest, any
// other value a file's content. Names are relative to the test's base
// directory, which holds the manifest's directory app/ and what is
// outside it.
type tree map[string]string

func (tr tree) create(t *testing.T, base string) {
	t.Helper()
	for name, v := range tr {
		p := filepath.Join(base, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.HasSuffix(name, "/"):
			err := os.MkdirAll(p, 0o755)
			if err != nil {
				t.Fatal(err)
			}
		case strings.HasPrefix(v, "->"):
			if err := os.Symlink(filepath.FromSlash(expand(v[2:], base)), p); err != nil {
				t.Fatal(err)
			}
		default:
			writeFile(t, p, expand(v, base))
		}
	}
}

// expand replaces BASE in s with base.
func expand(s, base string) string { return strings.ReplaceAll(s, "BASE", filepath.ToSlash(base)) }

// outside is what every case has outside the manifest's directory: a
// module, a secret and a directory, all of which the deploy must not read.
var outside = tree{
	"outside.wasm":      "\x00asm outside",
	"secret.txt":        "the reader's secret",
	"public/index.html": "outside",
	"lib/app.wasm":      "\x00asm outside lib",
}

const head = "name = \"echo\"\nroutes = [\"/echo/...\"]\n"

// TestLoadConfinement checks that Load refuses every way a manifest can
// name a file outside its directory, with the rule and the way out.
func TestLoadConfinement(t *testing.T) {
	const (
		rule      = ": a manifest may only name files beneath its own directory"
		moduleFix = " (copy the file in, or deploy it by path: wisp deploy FILE.wasm --route ROUTE)"
		filesFix  = " (copy the files in)"
		linkFix   = " (remove the link, or replace it with a copy of the file if that is meant to be published)"
		static    = "[[files]]\nsource = \"static\"\nmount = \"/static\"\n"
	)
	for _, tc := range []struct {
		name     string
		manifest string // app/wisp.toml; BASE is the base directory
		files    tree
		path     string // passed to Load, relative to BASE; "" for app
		want     string // BASE is the base directory, REAL the same with symbolic links resolved
	}{
		{
			name:     "module climbs out",
			manifest: "module = \"../outside.wasm\"\n" + head,
			want:     `BASE/app/wisp.toml:1:10: module "../outside.wasm" is outside the manifest's directory BASE/app` + rule + moduleFix,
		},
		{
			name:     "module climbs out through a subdirectory",
			manifest: "module = \"build/../../outside.wasm\"\n" + head,
			files:    tree{"app/build/": ""},
			want:     `BASE/app/wisp.toml:1:10: module "build/../../outside.wasm" is outside the manifest's directory BASE/app` + rule + moduleFix,
		},
		{
			name:     "module absolute",
			manifest: "module = \"BASE/outside.wasm\"\n" + head,
			want:     `BASE/app/wisp.toml:1:10: module "BASE/outside.wasm" is an absolute path, outside the manifest's directory BASE/app` + rule + moduleFix,
		},
		{
			name:     "module absolute, inside",
			manifest: "module = \"BASE/app/build/echo.wasm\"\n" + head,
			files:    tree{"app/build/echo.wasm": "\x00asm"},
			want:     `BASE/app/wisp.toml:1:10: module "BASE/app/build/echo.wasm" is an absolute path: write it relative to the manifest's directory, module = "build/echo.wasm"`,
		},
		{
			name:     "module is a symbolic link out",
			manifest: "module = \"echo.wasm\"\n" + head,
			files:    tree{"app/echo.wasm": "->../outside.wasm"},
			want:     `BASE/app/wisp.toml:1:10: module "echo.wasm" resolves to REAL/outside.wasm through a symbolic link, outside the manifest's directory BASE/app` + rule + moduleFix,
		},
		{
			name:     "module is an absolute symbolic link out",
			manifest: "module = \"echo.wasm\"\n" + head,
			files:    tree{"app/echo.wasm": "->BASE/outside.wasm"},
			want:     `BASE/app/wisp.toml:1:10: module "echo.wasm" resolves to REAL/outside.wasm through a symbolic link, outside the manifest's directory BASE/app` + rule + moduleFix,
		},
		{
			name:     "module in a directory that is a symbolic link out",
			manifest: "module = \"lib/app.wasm\"\n" + head,
			files:    tree{"app/lib": "->../lib"},
			want:     `BASE/app/wisp.toml:1:10: module "lib/app.wasm" resolves to REAL/lib/app.wasm through a symbolic link, outside the manifest's directory BASE/app` + rule + moduleFix,
		},
		{
			name:     "module is a dangling symbolic link out",
			manifest: "module = \"echo.wasm\"\n" + head,
			files:    tree{"app/echo.wasm": "->../gone.wasm"},
			want:     `BASE/app/wisp.toml:1:10: module "echo.wasm" leads out of the manifest's directory BASE/app through a symbolic link` + rule + moduleFix,
		},
		{
			name:     "module is a symbolic link out and back in",
			manifest: "module = \"echo.wasm\"\n" + head,
			files:    tree{"app/echo.wasm": "->BASE/app/build/echo.wasm", "app/build/echo.wasm": "\x00asm"},
			want: `BASE/app/wisp.toml:1:10: module "echo.wasm" resolves to REAL/app/build/echo.wasm through a symbolic link whose target is absolute or climbs out of the manifest's directory BASE/app` +
				rule + " (make the link relative, without leaving the directory)",
		},
		{
			name:     "source absolute",
			manifest: "module = \"echo.wasm\"\n" + head + "[[files]]\nsource = \"BASE/public\"\nmount = \"/static\"\n",
			files:    tree{"app/echo.wasm": "\x00asm"},
			want:     `BASE/app/wisp.toml:5:10: files[0].source "BASE/public" is an absolute path, outside the manifest's directory BASE/app` + rule + filesFix,
		},
		{
			name:     "source climbs out",
			manifest: "module = \"echo.wasm\"\n" + head + "[[files]]\nsource = \"../public\"\nmount = \"/static\"\n",
			files:    tree{"app/echo.wasm": "\x00asm"},
			want:     `BASE/app/wisp.toml:5:10: files[0].source "../public" is outside the manifest's directory BASE/app` + rule + filesFix,
		},
		{
			name:     "source is a symbolic link out",
			manifest: "module = \"echo.wasm\"\n" + head + static,
			files:    tree{"app/echo.wasm": "\x00asm", "app/static": "->BASE/public"},
			want:     `BASE/app/wisp.toml:5:10: files[0].source "static" resolves to REAL/public through a symbolic link, outside the manifest's directory BASE/app` + rule + filesFix,
		},
		{
			name:     "source holds a symbolic link out",
			manifest: "module = \"echo.wasm\"\n" + head + static,
			files:    tree{"app/echo.wasm": "\x00asm", "app/static/index.html": "hi", "app/static/img/secret.txt": "->../../../secret.txt"},
			want:     `BASE/app/wisp.toml:5:10: files[0].source "static" holds static/img/secret.txt, which resolves to REAL/secret.txt through a symbolic link, outside the manifest's directory BASE/app` + rule + linkFix,
		},
		{
			name:     "source holds a directory linked out",
			manifest: "module = \"echo.wasm\"\n" + head + static,
			files:    tree{"app/echo.wasm": "\x00asm", "app/static/public": "->BASE/public"},
			want:     `BASE/app/wisp.toml:5:10: files[0].source "static" holds static/public, which resolves to REAL/public through a symbolic link, outside the manifest's directory BASE/app` + rule + linkFix,
		},
		{
			name:     "module and source out",
			manifest: "module = \"echo.wasm\"\n" + head + static,
			files:    tree{"app/echo.wasm": "->../outside.wasm", "app/static": "->../public"},
			want: `BASE/app/wisp.toml:1:10: module "echo.wasm" resolves to REAL/outside.wasm through a symbolic link, outside the manifest's directory BASE/app` + rule + moduleFix + "\n" +
				`BASE/app/wisp.toml:5:10: files[0].source "static" resolves to REAL/public through a symbolic link, outside the manifest's directory BASE/app` + rule + filesFix,
		},
		{
			name:  "manifest found in the directory is a symbolic link out",
			files: tree{"elsewhere/wisp.toml": "module = \"echo.wasm\"\n" + head, "app/wisp.toml": "->../elsewhere/wisp.toml"},
			want:  `BASE/app/wisp.toml is a symbolic link to REAL/elsewhere/wisp.toml, outside BASE/app: the wisp.toml found in a directory must be beneath it (to deploy it anyway, name it: wisp deploy BASE/app/wisp.toml)`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			outside.create(t, base)
			tree{"app/": ""}.create(t, base)
			tc.files.create(t, base)
			if tc.manifest != "" {
				writeFile(t, filepath.Join(base, "app", "wisp.toml"), expand(tc.manifest, base))
			}
			m, err := manifest.Load(filepath.Join(base, "app", tc.path))
			if err == nil {
				t.Fatalf("Load succeeded (%+v); want an error", m)
			}
			real, rerr := filepath.EvalSymlinks(base)
			if rerr != nil {
				t.Fatal(rerr)
			}
			want := strings.ReplaceAll(strings.ReplaceAll(tc.want, "REAL", real), "BASE", base)
			if err.Error() != want {
				t.Errorf("wrong error\n got: %v\nwant: %s", err, want)
			}
			if !errors.Is(err, wisp.ErrInvalid) {
				t.Errorf("error does not wrap wisp.ErrInvalid")
			}
		})
	}
}

// TestLoadInside checks that what stays beneath the manifest's directory
// is accepted: symbolic links to files and directories inside, ".." that
// does not climb out, and a manifest named on the command line, which is
// the user's choice even if it is a symbolic link.
func TestLoadInside(t *testing.T) {
	for _, tc := range []struct {
		name     string
		manifest string
		files    tree
		path     string // passed to Load, relative to BASE; "" for app
		module   string // the module's content, read through OpenModule
		files0   string // a file that OpenFiles(0) must show, "" if none
	}{
		{
			name:     "module is a symbolic link inside",
			manifest: "module = \"echo.wasm\"\n" + head,
			files:    tree{"app/echo.wasm": "->build/echo.wasm", "app/build/echo.wasm": "\x00asm inside"},
			module:   "\x00asm inside",
		},
		{
			name:     "module in a directory linked inside",
			manifest: "module = \"out/echo.wasm\"\n" + head,
			files:    tree{"app/out": "->build/release", "app/build/release/echo.wasm": "\x00asm release"},
			module:   "\x00asm release",
		},
		{
			name:     "module with .. that stays inside",
			manifest: "module = \"build/../echo.wasm\"\n" + head,
			files:    tree{"app/echo.wasm": "\x00asm dots", "app/build/": ""},
			module:   "\x00asm dots",
		},
		{
			name:     "source is a symbolic link inside",
			manifest: "module = \"echo.wasm\"\n" + head + "[[files]]\nsource = \"static\"\nmount = \"/static\"\n",
			files:    tree{"app/echo.wasm": "\x00asm", "app/static": "->web/dist", "app/web/dist/index.html": "<h1>hi</h1>"},
			module:   "\x00asm",
			files0:   "index.html",
		},
		{
			name:     "source is the manifest's directory",
			manifest: "module = \"echo.wasm\"\n" + head + "[[files]]\nsource = \".\"\nmount = \"/app\"\n",
			files:    tree{"app/echo.wasm": "\x00asm"},
			module:   "\x00asm",
			files0:   "echo.wasm",
		},
		{
			name:   "manifest found in the directory is a symbolic link inside",
			files:  tree{"app/config/wisp.toml": "module = \"echo.wasm\"\n" + head, "app/wisp.toml": "->config/wisp.toml", "app/echo.wasm": "\x00asm"},
			module: "\x00asm",
		},
		{
			name:   "manifest named on the command line links out",
			files:  tree{"elsewhere/wisp.toml": "module = \"echo.wasm\"\n" + head, "app/wisp.toml": "->../elsewhere/wisp.toml", "app/echo.wasm": "\x00asm app"},
			path:   "app/wisp.toml",
			module: "\x00asm app", // paths are resolved against the directory of the path given
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			outside.create(t, base)
			tc.files.create(t, base)
			if tc.manifest != "" {
				writeFile(t, filepath.Join(base, "app", "wisp.toml"), tc.manifest)
			}
			path := tc.path
			if path == "" {
				path = "app"
			}
			m, err := manifest.Load(filepath.Join(base, path))
			if err != nil {
				t.Fatal(err)
			}
			f, err := m.OpenModule()
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(f)
			f.Close()
			if err != nil || string(got) != tc.module {
				t.Errorf("OpenModule read %q (%v), want %q", got, err, tc.module)
			}
			if tc.files0 == "" {
				return
			}
			root, err := m.OpenFiles(0)
			if err != nil {
				t.Fatal(err)
			}
			defer root.Close()
			if _, err := root.Stat(tc.files0); err != nil {
				t.Errorf("OpenFiles: %v", err)
			}
		})
	}
}

// TestOpenAfterLoad checks that OpenModule and OpenFiles refuse a tree
// that changed after Load to lead out of the manifest's directory, with
// Load's message (without a line: the manifest is not read again).
func TestOpenAfterLoad(t *testing.T) {
	const rule = ": a manifest may only name files beneath its own directory"
	base := t.TempDir()
	outside.create(t, base)
	tree{"app/echo.wasm": "\x00asm", "app/static/index.html": "hi"}.create(t, base)
	writeFile(t, filepath.Join(base, "app", "wisp.toml"), "module = \"echo.wasm\"\n"+head+"[[files]]\nsource = \"static\"\nmount = \"/static\"\n")
	m, err := manifest.Load(filepath.Join(base, "app"))
	if err != nil {
		t.Fatal(err)
	}
	real, err := filepath.EvalSymlinks(base)
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name   string
		change tree // replaces what it names
		open   func() error
		want   string
	}{
		{
			name:   "module swapped for a link out",
			change: tree{"app/echo.wasm": "->../outside.wasm"},
			open: func() error {
				f, err := m.OpenModule()
				if err == nil {
					f.Close()
				}
				return err
			},
			want: `BASE/app/wisp.toml: module "echo.wasm" resolves to REAL/outside.wasm through a symbolic link, outside the manifest's directory BASE/app` + rule +
				" (copy the file in, or deploy it by path: wisp deploy FILE.wasm --route ROUTE)",
		},
		{
			name:   "link out added to the files",
			change: tree{"app/static/secret.txt": "->BASE/secret.txt"},
			open: func() error {
				r, err := m.OpenFiles(0)
				if err == nil {
					r.Close()
				}
				return err
			},
			want: `BASE/app/wisp.toml: files[0].source "static" holds static/secret.txt, which resolves to REAL/secret.txt through a symbolic link, outside the manifest's directory BASE/app` + rule +
				" (remove the link, or replace it with a copy of the file if that is meant to be published)",
		},
		{
			name:   "files swapped for a link out",
			change: tree{"app/static": "->../public"},
			open: func() error {
				r, err := m.OpenFiles(0)
				if err == nil {
					r.Close()
				}
				return err
			},
			want: `BASE/app/wisp.toml: files[0].source "static" resolves to REAL/public through a symbolic link, outside the manifest's directory BASE/app` + rule + " (copy the files in)",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for name := range tc.change {
				if err := os.RemoveAll(filepath.Join(base, filepath.FromSlash(name))); err != nil {
					t.Fatal(err)
				}
			}
			tc.change.create(t, base)
			err := tc.open()
			want := strings.ReplaceAll(strings.ReplaceAll(tc.want, "REAL", real), "BASE", base)
			if err == nil || err.Error() != want {
				t.Errorf("wrong error\n got: %v\nwant: %s", err, want)
			}
		})
	}
}

// TestLoadModuleNotRegular checks that a module that is neither a file nor
// a directory (here a socket; a named pipe would block the read) is
// refused by Load, before anything opens it.
func TestLoadModuleNotRegular(t *testing.T) {
	dir, err := os.MkdirTemp("", "wisp") // short: socket paths are limited to about 100 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	l, err := net.Listen("unix", filepath.Join(dir, "echo.wasm"))
	if err != nil {
		t.Skipf("no unix sockets here: %v", err)
	}
	defer l.Close()
	writeFile(t, filepath.Join(dir, "wisp.toml"), "module = \"echo.wasm\"\n"+head)
	_, err = manifest.Load(dir)
	want := fmt.Sprintf(`%s:1:10: module "echo.wasm" is a socket (%s), not a file: point module at the .wasm file`, filepath.Join(dir, "wisp.toml"), filepath.Join(dir, "echo.wasm"))
	if err == nil || err.Error() != want {
		t.Errorf("Load: %v\nwant %s", err, want)
	}
}
