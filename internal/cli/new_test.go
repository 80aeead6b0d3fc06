package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wisphq/wisp/guest"
)

func TestNewListsTemplates(t *testing.T) {
	got := invoke(t, "new").must(t, 0)
	ts, err := guest.Templates()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(got.stdout, "\n"), "\n")
	if lines[0] != "Templates (wisp new LANG NAME):" || len(lines) != len(ts)+1 {
		t.Fatalf("listing:\n%s", got.stdout)
	}
	for i, tt := range ts {
		if f := strings.Fields(lines[i+1]); len(f) < 2 || f[0] != tt.Lang || !strings.HasSuffix(lines[i+1], tt.Summary) {
			t.Errorf("line %q does not describe template %s", lines[i+1], tt.Lang)
		}
	}
}

func TestNewWritesAProject(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "apps", "shop")
	got := invoke(t, "new", "go", dir).must(t, 0)
	tt, _, err := guest.Lookup("go")
	if err != nil {
		t.Fatal(err)
	}
	files, err := tt.Files("shop")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		data, err := os.ReadFile(p)
		if err != nil || string(data) != string(f.Data) {
			t.Errorf("%s: %v, or not the template's contents", p, err)
			continue
		}
		if fi, _ := os.Stat(p); fi.Mode().Perm()&0o100 != f.Mode&0o100 {
			t.Errorf("%s has mode %v, want %v", p, fi.Mode(), f.Mode)
		}
		if !strings.Contains(got.stdout, "  "+filepath.FromSlash(f.Path)+"\n") {
			t.Errorf("output does not list %s:\n%s", f.Path, got.stdout)
		}
	}
	// The test binary is not the wisp on PATH: the command to copy names
	// it by its path.
	if want := "Next:\n  cd " + dir + "\n  ./build.sh\n  " + selfCommand() + " deploy .\n"; !strings.HasSuffix(got.stdout, want) {
		t.Errorf("output:\n%s\nwant it to end with:\n%s", got.stdout, want)
	}
	// A second run refuses, and leaves the project as it was.
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("edited"), 0o644)
	again := invoke(t, "new", "wat", dir).must(t, 1)
	if !strings.Contains(again.stderr, dir+" already exists") {
		t.Errorf("stderr %q does not say the directory exists", again.stderr)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "main.go")); string(data) != "edited" {
		t.Error("the second run changed main.go")
	}
}

func TestNewRefuses(t *testing.T) {
	tmp := t.TempDir()
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"one argument", []string{"new", "go"}, 2, "wisp new: want a template LANG and the app's NAME, as in 'wisp new go shop', got 1 arguments"},
		{"three arguments", []string{"new", "go", "a", "b"}, 2, "got 3 arguments"},
		{"unknown template", []string{"new", "cobol", "x"}, 2, `wisp new: no template "cobol"; templates: go`},
		{"misspelt template", []string{"new", "wta", filepath.Join(tmp, "x")}, 2, `no template "wta"; did you mean "wat"?`},
		{"template's start", []string{"new", "g", filepath.Join(tmp, "x")}, 2, `no template "g"`},
		{"bad app name", []string{"new", "go", "Shop"}, 2, `wisp new: app name "Shop": use 1-63 lower case letters`},
		{"bad last element", []string{"new", "go", filepath.Join(tmp, "my_app")}, 2, `(the last element of ` + filepath.Join(tmp, "my_app") + ` names the app)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := invoke(t, tt.args...).must(t, tt.code)
			if !strings.Contains(got.stderr, tt.stderr) {
				t.Errorf("stderr:\n%s\nwant it to contain %q", got.stderr, tt.stderr)
			}
		})
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Errorf("refused runs left %d entries in %s", len(entries), tmp)
	}
	// An existing empty directory with a valid name is refused too.
	empty := filepath.Join(tmp, "empty")
	os.Mkdir(empty, 0o755)
	if got := invoke(t, "new", "wat", empty).must(t, 1); !strings.Contains(got.stderr, "already exists") {
		t.Errorf("stderr %q", got.stderr)
	}
}

// TestNewWritesEveryTemplate runs wisp new for every template there is
// (those of other languages included) and checks the files on disk.
func TestNewWritesEveryTemplate(t *testing.T) {
	ts, err := guest.Templates()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range ts {
		t.Run(tt.Lang, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "app-"+tt.Lang)
			invoke(t, "new", tt.Lang, dir).must(t, 0)
			files, err := tt.Files("app-" + tt.Lang)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range files {
				data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
				if err != nil || string(data) != string(f.Data) {
					t.Errorf("%s: %v, or not the template's contents", f.Path, err)
				}
			}
			toml, err := os.ReadFile(filepath.Join(dir, "wisp.toml"))
			if err != nil || !strings.Contains(string(toml), `name = "app-`+tt.Lang+`"`) {
				t.Errorf("wisp.toml: %v\n%s", err, toml)
			}
		})
	}
}

// TestCommandName names this program "wisp" only when that name on PATH
// is this binary, and by its absolute path otherwise (a fresh clone's
// bin/wisp), so a printed next step works when pasted; a build of `go run`
// is gone once it exits, so it is "wisp" too.
func TestCommandName(t *testing.T) {
	bin := t.TempDir()
	exe := filepath.Join(bin, "wisp-build")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	onPath := t.TempDir()
	if err := os.Symlink(exe, filepath.Join(onPath, "wisp")); err != nil {
		t.Fatal(err)
	}
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "wisp"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path, exe, want string
	}{
		{"this binary on PATH", onPath, exe, "wisp"},
		{"another wisp on PATH", other, exe, shellQuote(exe)},
		{"no wisp on PATH", t.TempDir(), exe, shellQuote(exe)},
		{"a build of go run", t.TempDir(), "/tmp/go-build1234/b001/exe/wisp", "wisp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("PATH", tc.path)
			if got := commandName(tc.exe); got != tc.want {
				t.Errorf("commandName(%q) = %q, want %q", tc.exe, got, tc.want)
			}
		})
	}
}

func TestShellQuote(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"plain path", "/usr/local/bin/wisp", "/usr/local/bin/wisp"},
		{"a space", "/home/a b/bin/wisp", "'/home/a b/bin/wisp'"},
		{"an ampersand", "/home/a&b/wisp", "'/home/a&b/wisp'"},
		{"a glob", "/srv/w*/wisp", "'/srv/w*/wisp'"},
		{"a single quote", "/home/o'neil/wisp", `'/home/o'\''neil/wisp'`},
		{"a newline", "/tmp/a\nb", "'/tmp/a\nb'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := shellQuote(tc.in); got != tc.want {
				t.Errorf("shellQuote(%q) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
}
