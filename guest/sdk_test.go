package guest

import (
	"bytes"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"testing"
)

func TestTemplatesListGoAndWatFirstInOrder(t *testing.T) {
	ts, err := Templates()
	if err != nil {
		t.Fatal(err)
	}
	var langs []string
	for _, tt := range ts {
		langs = append(langs, tt.Lang)
		if tt.Summary == "" || strings.Contains(tt.Summary, "\n") {
			t.Errorf("template %s: summary %q is not one line", tt.Lang, tt.Summary)
		}
	}
	for _, want := range []string{"go", "wat"} {
		if !slices.Contains(langs, want) {
			t.Errorf("templates %q lack %s", langs, want)
		}
	}
	for i := 1; i < len(ts); i++ {
		a, b := ts[i-1].Lang, ts[i].Lang
		if rank(a) > rank(b) || rank(a) == rank(b) && a > b {
			t.Errorf("templates out of order: %q", langs)
		}
	}
	if tt, ok, err := Lookup("golang"); err != nil || !ok || tt.Lang != "go" {
		t.Errorf("Lookup(golang) = %v, %v, %v; want the go template", tt.Lang, ok, err)
	}
	if _, ok, _ := Lookup("cobol"); ok {
		t.Error("Lookup(cobol) found a template")
	}
}

// TestEveryTemplateRenders checks what every template (those other
// languages add too) must hold: a wisp.toml naming the app, a README.md
// and an executable build.sh, no placeholder or .tmpl suffix left.
func TestEveryTemplateRenders(t *testing.T) {
	ts, err := Templates()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range ts {
		t.Run(tt.Lang, func(t *testing.T) {
			files, err := tt.Files("my-app")
			if err != nil {
				t.Fatal(err)
			}
			byPath := map[string]File{}
			for _, f := range files {
				byPath[f.Path] = f
				if bytes.Contains(f.Data, []byte(Placeholder)) || strings.Contains(f.Path, Placeholder) {
					t.Errorf("%s still holds %s", f.Path, Placeholder)
				}
				if strings.HasSuffix(f.Path, TemplateSuffix) || f.Path == "template.txt" {
					t.Errorf("%s should not be in the project", f.Path)
				}
				if !fs.ValidPath(f.Path) {
					t.Errorf("%q is not a valid relative path", f.Path)
				}
			}
			for _, want := range []string{"wisp.toml", "README.md", "build.sh"} {
				if _, ok := byPath[want]; !ok {
					t.Errorf("the project has no %s", want)
				}
			}
			if byPath["build.sh"].Mode != 0o755 || byPath["wisp.toml"].Mode != 0o644 {
				t.Errorf("modes: build.sh %v, wisp.toml %v", byPath["build.sh"].Mode, byPath["wisp.toml"].Mode)
			}
			toml := string(byPath["wisp.toml"].Data)
			if !strings.Contains(toml, `name = "my-app"`) || !strings.Contains(toml, `module = "my-app.wasm"`) {
				t.Errorf("wisp.toml does not name the app and its module my-app:\n%s", toml)
			}
			if len(tt.Next) == 0 {
				t.Errorf("template %s names no next steps", tt.Lang)
			}
		})
	}
}

func TestGoTemplateCarriesTheSDK(t *testing.T) {
	tt, ok, err := Lookup("go")
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	files, err := tt.Files("shop")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]byte{}
	for _, f := range files {
		got[f.Path] = f.Data
	}
	// Every source file of guest/go, tests excepted, byte for byte.
	entries, err := os.ReadDir("go")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		n++
		want, err := os.ReadFile(path.Join("go", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got["wisp/"+name], want) {
			t.Errorf("wisp/%s is not guest/go/%s: list it in the //go:embed line of sdk.go", name, name)
		}
	}
	if n < 5 {
		t.Errorf("found only %d SDK files in guest/go", n)
	}
	if !bytes.Contains(got["main.go"], []byte(`"shop/wisp"`)) || !bytes.HasPrefix(got["go.mod"], []byte("module shop\n")) {
		t.Errorf("main.go does not import shop/wisp, or go.mod is not module shop:\n%s\n%s", got["main.go"], got["go.mod"])
	}
	if _, ok := got[".gitignore"]; !ok {
		t.Error("no .gitignore")
	}
}

// TestNothingBuiltIsEmbedded guards the //go:embed lines: no dependency
// or build directory, no built module.
func TestNothingBuiltIsEmbedded(t *testing.T) {
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		for _, part := range strings.Split(p, "/") {
			switch part {
			case "node_modules", "target", "build", "dist", ".git":
				t.Errorf("%s is embedded: name files, not directories builds write into", p)
			}
		}
		if strings.HasSuffix(p, ".wasm") {
			t.Errorf("%s is embedded: a template builds its module, it does not ship one", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
