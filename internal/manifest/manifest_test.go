package manifest_test

import (
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/internal/manifest"
)

var update = flag.Bool("update", false, "rewrite testdata/errors/*.err with the messages Parse gives now")

// TestParseErrors parses every testdata/errors/NAME.toml and compares the
// error with NAME.err. Run with -update after changing a message, and read
// the diff: the line, column and hint are the point of these tests.
func TestParseErrors(t *testing.T) {
	cases, err := filepath.Glob("testdata/errors/*.toml")
	if err != nil || len(cases) == 0 {
		t.Fatalf("no test cases found (%v)", err)
	}
	for _, path := range cases {
		name := strings.TrimSuffix(filepath.Base(path), ".toml")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			m, err := manifest.Parse(data, "wisp.toml")
			if err == nil {
				t.Fatalf("Parse succeeded (%+v); want an error", m)
			}
			var merr *manifest.Error
			if !errors.As(err, &merr) {
				t.Fatalf("error is a %T, not a *manifest.Error: %v", err, err)
			}
			if !errors.Is(err, wisp.ErrInvalid) {
				t.Errorf("error does not wrap wisp.ErrInvalid: %v", err)
			}
			got := err.Error() + "\n"
			golden := strings.TrimSuffix(path, ".toml") + ".err"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("wrong error\n got: %s\nwant: %s", got, want)
			}
		})
	}
}

func TestLoadFullManifest(t *testing.T) {
	dir, err := filepath.Abs("testdata/echo")
	if err != nil {
		t.Fatal(err)
	}
	want := &manifest.Manifest{
		Path:      filepath.Join("testdata", "echo", "wisp.toml"),
		Dir:       dir,
		Name:      "echo",
		Module:    filepath.Join(dir, "echo.wasm"),
		ModuleRef: "echo.wasm",
		Routes: []wisp.Route{
			{Path: "/echo", Prefix: true},
			{Host: "api.example.com", Path: "/echo"},
		},
		Env: map[string]string{"GREETING": "hello", "EMPTY": ""},
		Files: []manifest.File{
			{Source: filepath.Join(dir, "static"), SourceRef: "static", Mount: "/static"},
			{Source: filepath.Join(dir, "static", "css"), SourceRef: "static/css", Mount: "/css"},
		},
		Limits: wisp.Limits{
			Memory:         64 << 20,
			Timeout:        wisp.Duration(5 * time.Second),
			MaxBody:        1 << 20,
			MaxResponse:    1 << 20,
			MaxConcurrency: 32,
		},
	}
	for _, tc := range []struct {
		name, path string
	}{
		{"file", filepath.Join("testdata", "echo", "wisp.toml")},
		{"directory", filepath.Join("testdata", "echo")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := manifest.Load(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Load(%q)\n got: %+v\nwant: %+v", tc.path, got, want)
			}
		})
	}
}

func TestParseMinimal(t *testing.T) {
	data := []byte("name = \"hello\"\nmodule = \"build/hello.wasm\"\nroutes = [\"/hello\"]\n")
	m, err := manifest.Parse(data, filepath.Join("apps", "hello", "wisp.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Dir != filepath.Join("apps", "hello") {
		t.Errorf("Dir = %q, want the manifest's directory", m.Dir)
	}
	if want := filepath.Join("apps", "hello", "build", "hello.wasm"); m.Module != want {
		t.Errorf("Module = %q, want %q", m.Module, want)
	}
	if m.Env != nil || m.Files != nil || m.Limits != (wisp.Limits{}) {
		t.Errorf("unset env, files and limits should be nil/zero, got %v, %v, %+v", m.Env, m.Files, m.Limits)
	}
}

func TestParseAbsoluteModule(t *testing.T) {
	abs := filepath.Join(t.TempDir(), "x.wasm")
	data := []byte("name = \"x\"\nmodule = '" + filepath.ToSlash(abs) + "'\nroutes = [\"/x\"]\n")
	m, err := manifest.Parse(data, "wisp.toml")
	if err != nil {
		t.Fatal(err)
	}
	if m.Module != abs {
		t.Errorf("Module = %q, want %q unchanged", m.Module, abs)
	}
}

// TestLoadErrors covers what only Load checks: that files exist.
func TestLoadErrors(t *testing.T) {
	const header = "name = \"echo\"\nmodule = \"echo.wasm\"\nroutes = [\"/echo/...\"]\n"
	for _, tc := range []struct {
		name     string
		manifest string            // written to DIR/wisp.toml unless empty
		files    map[string]string // more files to create; a name ending in "/" is a directory
		path     string            // passed to Load, relative to DIR; "" for DIR
		want     string            // the error, with DIR for the directory
		is       error
	}{
		{
			name:     "module missing",
			manifest: header,
			want:     `DIR/wisp.toml:2:10: module "echo.wasm" not found next to wisp.toml (looked for DIR/echo.wasm)`,
			is:       fs.ErrNotExist,
		},
		{
			name:     "module is a directory",
			manifest: header,
			files:    map[string]string{"echo.wasm/": ""},
			want:     `DIR/wisp.toml:2:10: module "echo.wasm" is a directory (DIR/echo.wasm): point module at the .wasm file`,
			is:       wisp.ErrInvalid,
		},
		{
			name:     "source missing",
			manifest: header + "[[files]]\nsource = \"public\"\nmount = \"/public\"\n",
			files:    map[string]string{"echo.wasm": "wasm"},
			want:     `DIR/wisp.toml:5:10: files[0].source "public" not found next to wisp.toml (looked for DIR/public)`,
			is:       fs.ErrNotExist,
		},
		{
			name:     "source is a file",
			manifest: header + "[[files]]\nsource = \"public\"\nmount = \"/public\"\n",
			files:    map[string]string{"echo.wasm": "wasm", "public": "not a directory"},
			want:     `DIR/wisp.toml:5:10: files[0].source "public" is a file (DIR/public): it must be a directory, whose contents appear at /public`,
			is:       wisp.ErrInvalid,
		},
		{
			name: "no manifest in directory",
			want: `DIR/wisp.toml: not found: create one, or pass the path of your manifest`,
			is:   fs.ErrNotExist,
		},
		{
			name: "path does not exist",
			path: "app.toml",
			want: `DIR/app.toml: not found: pass the path of a wisp.toml file or of the directory that contains one`,
			is:   fs.ErrNotExist,
		},
		{
			name:     "manifest too large",
			manifest: header + "# " + strings.Repeat("x", manifest.MaxSize) + "\n",
			want:     `DIR/wisp.toml: is larger than 1MiB; a manifest is a few lines: is this the right file?`,
			is:       wisp.ErrTooLarge,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.manifest != "" {
				writeFile(t, filepath.Join(dir, "wisp.toml"), tc.manifest)
			}
			for name, content := range tc.files {
				if strings.HasSuffix(name, "/") {
					if err := os.Mkdir(filepath.Join(dir, name), 0o755); err != nil {
						t.Fatal(err)
					}
					continue
				}
				writeFile(t, filepath.Join(dir, name), content)
			}
			_, err := manifest.Load(filepath.Join(dir, tc.path))
			if err == nil {
				t.Fatal("Load succeeded; want an error")
			}
			want := strings.ReplaceAll(tc.want, "DIR/", dir+string(filepath.Separator))
			if err.Error() != want {
				t.Errorf("wrong error\n got: %v\nwant: %s", err, want)
			}
			if !errors.Is(err, tc.is) {
				t.Errorf("error does not wrap %v", tc.is)
			}
		})
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// FuzzParse checks that Parse never panics, that every error is a located
// *Error, and that whatever it accepts is valid by the root package's rules.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/errors/*.toml")
	seeds = append(seeds, "testdata/echo/wisp.toml")
	for _, path := range seeds {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := manifest.Parse(data, "wisp.toml")
		if err != nil {
			var merr *manifest.Error
			if !errors.As(err, &merr) || merr.Line < 0 || merr.Column < 0 || merr.Msg == "" {
				t.Fatalf("error is not a located *manifest.Error: %#v", err)
			}
			if !errors.Is(err, wisp.ErrInvalid) {
				t.Fatalf("error does not wrap wisp.ErrInvalid: %v", err)
			}
			return
		}
		if err := wisp.ValidateAppName(m.Name); err != nil {
			t.Fatalf("accepted an invalid name: %v", err)
		}
		if len(m.Routes) == 0 || m.Module == "" {
			t.Fatalf("accepted a manifest without routes or module: %+v", m)
		}
		if err := m.Limits.Validate(); err != nil {
			t.Fatalf("accepted invalid limits: %v", err)
		}
		spec := wisp.AppSpec{Name: m.Name, Module: "sha256:" + strings.Repeat("0", 64), Routes: m.Routes, Env: m.Env, Limits: m.Limits}
		for _, file := range m.Files {
			spec.Files = append(spec.Files, wisp.FileMount{Mount: file.Mount, Bundle: spec.Module})
		}
		if err := spec.Validate(); err != nil {
			t.Fatalf("accepted a manifest wisp.AppSpec.Validate refuses: %v", err)
		}
	})
}
