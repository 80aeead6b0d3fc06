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
	"github.com/wisphq/wisp/internal/oci"

	"github.com/wisphq/wisp/internal/golden"
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
			golden.Check(t, strings.TrimSuffix(path, ".toml")+".err", got, *update)
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
		KeyValueStores:       []string{"default", "sessions"},
		AllowedOutboundHosts: []string{"https://api.example.com", "http://127.0.0.1:8080"},
		Env:                  map[string]string{"GREETING": "hello", "EMPTY": ""},
		Files: []manifest.File{
			{Source: filepath.Join(dir, "static"), SourceRef: "static", Mount: "/static"},
			{Source: filepath.Join(dir, "static", "css"), SourceRef: "static/css", Mount: "/css"},
		},
		Variables: map[string]wisp.Variable{
			"greeting": {Default: ptr("hi")},
			"region":   {Required: true},
			"api_key":  {Secret: true},
			"motd":     {Default: ptr("")},
		},
		Limits: wisp.Limits{
			Memory:           64 << 20,
			Timeout:          wisp.Duration(5 * time.Second),
			MaxBody:          1 << 20,
			MaxResponse:      1 << 20,
			MaxConcurrency:   32,
			KVOps:            500,
			OutboundRequests: 8,
			OutboundBytes:    4 << 20,
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
	if m.KeyValueStores != nil || m.AllowedOutboundHosts != nil || m.Variables != nil {
		t.Errorf("unset services should be nil, got %v, %v, %v", m.KeyValueStores, m.AllowedOutboundHosts, m.Variables)
	}
}

func TestOCIModule(t *testing.T) {
	const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, tc := range []struct{ module, want string }{
		{"oci://ghcr.io/acme/echo:1.0", "ghcr.io/acme/echo:1.0"},
		{"oci://localhost:5000/echo@" + digest, "localhost:5000/echo@" + digest},
		{"oci://ghcr.io/acme/echo:1.0@" + digest, "ghcr.io/acme/echo:1.0@" + digest},
	} {
		t.Run(tc.module, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "wisp.toml"), "name = \"echo\"\nmodule = \""+tc.module+"\"\nroutes = [\"/echo\"]\n")
			m, err := manifest.Load(dir) // no module file next to it: Load must not look for one
			if err != nil {
				t.Fatal(err)
			}
			if m.ModuleOCI != tc.want || m.Module != "" || m.ModuleRef != tc.module {
				t.Errorf("Load: ModuleOCI %q, Module %q, ModuleRef %q; want %q, \"\", %q", m.ModuleOCI, m.Module, m.ModuleRef, tc.want, tc.module)
			}
		})
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
			name:     "module missing, written like an OCI reference",
			manifest: "name = \"echo\"\nmodule = \"ghcr.io/acme/echo:1.0\"\nroutes = [\"/echo/...\"]\n",
			want:     `DIR/wisp.toml:2:10: module "ghcr.io/acme/echo:1.0" not found next to wisp.toml (looked for DIR/ghcr.io/acme/echo:1.0); if it names an OCI artifact, write module = "oci://ghcr.io/acme/echo:1.0"`,
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
			name:     "module and source missing",
			manifest: header + "[[files]]\nsource = \"public\"\nmount = \"/public\"\n",
			want: `DIR/wisp.toml:2:10: module "echo.wasm" not found next to wisp.toml (looked for DIR/echo.wasm)` + "\n" +
				`DIR/wisp.toml:5:10: files[0].source "public" not found next to wisp.toml (looked for DIR/public)`,
			is: fs.ErrNotExist,
		},
		{
			name: "no manifest in directory",
			want: `no wisp.toml in DIR: create one, or pass the path of your manifest`,
			is:   manifest.ErrNoManifest,
		},
		{
			name: "path does not exist",
			path: "app.toml",
			want: `no wisp.toml at DIR/app.toml (the path does not exist)`,
			is:   manifest.ErrNoManifest,
		},
		{
			name:  "a module, not a manifest",
			files: map[string]string{"echo.wasm": "\x00asm\x01\x00\x00\x00"},
			path:  "echo.wasm",
			want:  `DIR/echo.wasm is a WebAssembly module, not a wisp.toml: pass a wisp.toml or a directory holding one (its module key names the .wasm)`,
			is:    wisp.ErrInvalid,
		},
		{
			name:  "binary file",
			files: map[string]string{"wisp": "\x7fELF\x02\x01\x01\x00"},
			path:  "wisp",
			want:  `DIR/wisp is not a wisp.toml (it holds binary data, not text): pass a wisp.toml or a directory holding one`,
			is:    wisp.ErrInvalid,
		},
		{
			name:     "manifest too large",
			manifest: header + "# " + strings.Repeat("x", manifest.MaxSize) + "\n",
			want:     `DIR/wisp.toml is too large to be a wisp.toml (over 1MiB; a manifest is a few lines): pass a wisp.toml or a directory holding one`,
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
			want = strings.ReplaceAll(want, "DIR", dir)
			if err.Error() != want {
				t.Errorf("wrong error\n got: %v\nwant: %s", err, want)
			}
			if !errors.Is(err, tc.is) {
				t.Errorf("error does not wrap %v", tc.is)
			}
			if errors.Is(err, manifest.ErrNoManifest) != (tc.is == manifest.ErrNoManifest) {
				t.Errorf("errors.Is(err, ErrNoManifest) = %v; only a missing manifest should match it", !(tc.is == manifest.ErrNoManifest))
			}
			if tc.is == manifest.ErrNoManifest && !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("a missing manifest does not match fs.ErrNotExist")
			}
		})
	}
}

// TestErrorList checks that several problems come back together, in file
// order, and that the list answers errors.As and errors.Is like one error.
func TestErrorList(t *testing.T) {
	data := []byte("name = \"echo\"\nmodule = \"echo.wasm\"\nroutes = [\"/echo\"]\n\n[limits]\ntimeout = \"5\"\nmemory = 64\n")
	_, err := manifest.Parse(data, "wisp.toml")
	var list *manifest.ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("Parse() error = %v (%T), want a *manifest.ErrorList", err, err)
	}
	if len(list.Errors) != 2 || list.Errors[0].Line != 6 || list.Errors[1].Line != 7 || list.Omitted != 0 {
		t.Fatalf("Errors = %v, want the problems of lines 6 and 7, in that order", err)
	}
	var first *manifest.Error
	if !errors.As(err, &first) || first != list.Errors[0] {
		t.Errorf("errors.As found %v, want the first problem", first)
	}
	if !errors.Is(err, wisp.ErrInvalid) {
		t.Errorf("the list does not match wisp.ErrInvalid")
	}
	if got := strings.Count(err.Error(), "\n"); got != 1 {
		t.Errorf("Error() = %q, want one problem a line", err)
	}
}

func ptr[T any](v T) *T { return &v }

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
		// routes = [] is an app invoked by name only (TestEmptyRoutesMeansInvokeOnly):
		// Routes is then empty, not nil. A missing routes key is an error.
		if m.Routes == nil || (m.Module == "") == (m.ModuleOCI == "") {
			t.Fatalf("accepted a manifest without a routes key, or without exactly one of a module path and an OCI module: %+v", m)
		}
		if m.ModuleOCI != "" {
			if _, err := oci.ParseReference(m.ModuleOCI); err != nil {
				t.Fatalf("accepted an OCI module %q that does not parse: %v", m.ModuleOCI, err)
			}
		}
		if err := m.Limits.Validate(); err != nil {
			t.Fatalf("accepted invalid limits: %v", err)
		}
		spec := wisp.AppSpec{Name: m.Name, Module: "sha256:" + strings.Repeat("0", 64), Routes: m.Routes, Env: m.Env, Limits: m.Limits,
			KeyValueStores: m.KeyValueStores, AllowedOutboundHosts: m.AllowedOutboundHosts, Variables: m.Variables}
		for _, file := range m.Files {
			spec.Files = append(spec.Files, wisp.FileMount{Mount: file.Mount, Bundle: spec.Module})
		}
		if err := spec.Validate(); err != nil {
			t.Fatalf("accepted a manifest wisp.AppSpec.Validate refuses: %v", err)
		}
	})
}

// TestNotAManifest checks the hints for a file that is not a manifest at
// all, given by a name other than *.toml.
func TestNotAManifest(t *testing.T) {
	for _, tc := range []struct{ name, data, want string }{
		{"prose", "Hello, world.\n", "README.md:1:6: TOML syntax error: expected '=' after key; is README.md a manifest? pass a wisp.toml or a directory holding one"},
		{"only comments", "# Hello\n", "README.md: sets none of the keys of a wisp.toml: is it a manifest? pass a wisp.toml or a directory holding one"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := manifest.Parse([]byte(tc.data), "README.md")
			if err == nil || err.Error() != tc.want {
				t.Errorf("Parse() error = %v, want %s", err, tc.want)
			}
		})
	}
}

// TestEmptyRoutesMeansInvokeOnly checks that routes = [] written out is an
// app invoked by name only, while a missing routes key stays an error.
func TestEmptyRoutesMeansInvokeOnly(t *testing.T) {
	m, err := manifest.Parse([]byte("name = \"rules\"\nmodule = \"rules.wasm\"\nroutes = []\n"), "wisp.toml")
	if err != nil {
		t.Fatal(err)
	}
	if m.Routes == nil || len(m.Routes) != 0 {
		t.Errorf("Routes = %#v, want empty and not nil", m.Routes)
	}
	_, err = manifest.Parse([]byte("name = \"rules\"\nmodule = \"rules.wasm\"\n"), "wisp.toml")
	if err == nil || !strings.Contains(err.Error(), "routes") {
		t.Errorf("a manifest without routes: %v, want an error naming routes", err)
	}
}
