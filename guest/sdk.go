// Package guest holds what Wisp gives app authors beside the node: the
// guest SDKs (go/ and the other language directories, see README.md) and
// the project templates of `wisp new` (templates/), embedded in the wisp
// binary so that `wisp new LANG NAME` works offline.
//
// A template is the directory templates/LANG: the files of a new project
// plus template.txt, which names the template and the SDK files to copy
// in. Templates lists them; Template.Files renders one for an app name.
// The package reads only embedded data: it is safe for concurrent use.
package guest

import (
	"bufio"
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// files holds every template and the SDK files they copy. Each line
// names one language's files explicitly (a template directory's files
// with templates/LANG/*, SDK sources one by one or by a pattern that
// cannot reach build outputs), so that node_modules/, target/ or a built
// module lying in a working copy are never embedded. To add a language,
// add its line (guest/README.md).
//
//go:embed templates/go/* go/config.go go/doc.go go/errors.go go/host.go go/host_other.go go/host_wasip1.go go/kv.go go/log.go go/reactor.go go/response.go go/serve.go go/transport.go
//go:embed templates/c/* c/wisp.h c/wisp.c
//go:embed templates/rust/* rust/Cargo.toml rust/src/*.rs
//go:embed templates/assemblyscript/* assemblyscript/assembly/*.ts assemblyscript/lib/*.ts assemblyscript/asconfig.json assemblyscript/README.md
//go:embed templates/wat/*
//go:embed templates/js/*
var files embed.FS

// Placeholder is replaced by the app's name in the files of a template
// whose names end in TemplateSuffix.
const Placeholder = "{{name}}"

// TemplateSuffix marks a file of a template in which Placeholder is
// replaced; the suffix is dropped from the file's name in the project.
// Other files are copied byte for byte.
const TemplateSuffix = ".tmpl"

// Template is one template of `wisp new`, from templates/LANG/template.txt.
type Template struct {
	// Lang is the template's name: its directory under templates/.
	Lang string
	// Summary is its one-line description.
	Summary string
	// Aliases are other names `wisp new` accepts for it ("as").
	Aliases []string
	// Next are the commands to run in the new project, in order.
	Next []string
	// sdk maps patterns of embedded SDK files to the project directory
	// they are copied into.
	sdk []sdkRule
}

// sdkRule copies the embedded files matching Pattern into Dir.
type sdkRule struct {
	Pattern, Dir string
}

// File is one file of a new project.
type File struct {
	Path string      // slash-separated, relative to the project directory
	Data []byte      // its contents
	Mode fs.FileMode // 0755 for scripts (*.sh), else 0644
}

// Templates returns every embedded template: go, c, rust,
// assemblyscript and wat first (those that exist), then any other by
// name. It fails only if a template.txt is malformed, which the package's
// tests rule out.
func Templates() ([]Template, error) {
	dirs, err := fs.ReadDir(files, "templates")
	if err != nil {
		return nil, fmt.Errorf("read the embedded templates: %w", err)
	}
	var ts []Template
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		t, err := parseTemplate(d.Name())
		if err != nil {
			return nil, err
		}
		ts = append(ts, t)
	}
	slices.SortFunc(ts, func(a, b Template) int {
		ia, ib := rank(a.Lang), rank(b.Lang)
		if ia != ib {
			return ia - ib
		}
		return strings.Compare(a.Lang, b.Lang)
	})
	return ts, nil
}

// rank is the position of lang in the order Templates lists the
// languages in; others come after, by name.
func rank(lang string) int {
	if i := slices.Index([]string{"go", "c", "rust", "assemblyscript", "wat"}, lang); i >= 0 {
		return i
	}
	return 5
}

// Lookup returns the template called lang or having lang as an alias.
func Lookup(lang string) (Template, bool, error) {
	ts, err := Templates()
	if err != nil {
		return Template{}, false, err
	}
	for _, t := range ts {
		if t.Lang == lang || slices.Contains(t.Aliases, lang) {
			return t, true, nil
		}
	}
	return Template{}, false, nil
}

// parseTemplate reads templates/lang/template.txt: "key: value" lines
// (summary once; aliases; next and sdk repeatable), "#" comments.
func parseTemplate(lang string) (Template, error) {
	name := path.Join("templates", lang, "template.txt")
	data, err := files.ReadFile(name)
	if err != nil {
		return Template{}, fmt.Errorf("template %s: %w", lang, err)
	}
	t := Template{Lang: lang}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		value = strings.TrimSpace(value)
		if !ok || value == "" {
			return Template{}, fmt.Errorf("%s:%d: want \"key: value\", got %q", name, n, line)
		}
		switch strings.TrimSpace(key) {
		case "summary":
			t.Summary = value
		case "aliases":
			t.Aliases = append(t.Aliases, strings.Fields(value)...)
		case "next":
			t.Next = append(t.Next, value)
		case "sdk":
			f := strings.Fields(value)
			if len(f) != 2 {
				return Template{}, fmt.Errorf("%s:%d: want \"sdk: PATTERN DIR\", got %q", name, n, line)
			}
			t.sdk = append(t.sdk, sdkRule{Pattern: f[0], Dir: f[1]})
		default:
			return Template{}, fmt.Errorf("%s:%d: unknown key %q: use summary, aliases, next or sdk", name, n, key)
		}
	}
	if t.Summary == "" {
		return Template{}, fmt.Errorf("%s: no summary line", name)
	}
	return t, sc.Err()
}

// Files returns the files of a new project of template t for the app
// called name (already validated as an app name): the template's files
// with Placeholder replaced in those ending in TemplateSuffix, and the
// SDK files of its sdk lines. Paths are sorted.
func (t Template) Files(name string) ([]File, error) {
	root := path.Join("templates", t.Lang)
	var out []File
	err := fs.WalkDir(files, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel := strings.TrimPrefix(p, root+"/")
		if rel == "template.txt" {
			return nil
		}
		data, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		if base, ok := strings.CutSuffix(rel, TemplateSuffix); ok {
			rel = base
			data = bytes.ReplaceAll(data, []byte(Placeholder), []byte(name))
		}
		out = append(out, newFile(rel, data))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", t.Lang, err)
	}
	for _, r := range t.sdk {
		matches, err := fs.Glob(files, r.Pattern)
		if err != nil || len(matches) == 0 {
			return nil, fmt.Errorf("template %s: sdk pattern %q matches no embedded file: list the files in the //go:embed line of guest/sdk.go", t.Lang, r.Pattern)
		}
		for _, m := range matches {
			data, err := files.ReadFile(m)
			if err != nil {
				return nil, fmt.Errorf("template %s: %w", t.Lang, err)
			}
			out = append(out, newFile(path.Join(r.Dir, path.Base(m)), data))
		}
	}
	slices.SortFunc(out, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	for i := 1; i < len(out); i++ {
		if out[i].Path == out[i-1].Path {
			return nil, fmt.Errorf("template %s: two files would be written to %s", t.Lang, out[i].Path)
		}
	}
	return out, nil
}

// newFile makes a File, executable if it is a shell script.
func newFile(p string, data []byte) File {
	mode := fs.FileMode(0o644)
	if strings.HasSuffix(p, ".sh") {
		mode = 0o755
	}
	return File{Path: p, Data: data, Mode: mode}
}
