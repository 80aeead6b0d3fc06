package manifest

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
	"github.com/wisphq/wisp"
)

// manifest validates the decoded document and resolves its paths. Checks
// run in the order the keys are documented, so the first problem reported
// is predictable.
func (p *parser) manifest(doc *document) (*Manifest, error) {
	m := &Manifest{Path: p.file, Dir: p.dir, Name: doc.Name, ModuleRef: doc.Module, Env: doc.Env}
	var err error
	if err = p.checkName(doc.Name); err != nil {
		return nil, err
	}
	if m.Module, err = p.module(doc.Module); err != nil {
		return nil, err
	}
	if m.Routes, err = p.routes(doc); err != nil {
		return nil, err
	}
	if err = p.checkEnv(doc.Env); err != nil {
		return nil, err
	}
	if m.Files, err = p.files(doc.Files); err != nil {
		return nil, err
	}
	if m.Limits, err = p.limits(doc.Limits); err != nil {
		return nil, err
	}
	return m, nil
}

// required returns the entry of a top-level key that every manifest must
// set, or an error showing a line to add.
func (p *parser) required(key, example string) (*entry, error) {
	if e, ok := p.idx.lookup(key); ok {
		return e, nil
	}
	// A common slip: the key was written, but below a [table] header, which
	// makes it part of that table.
	if e, ok := p.idx.lookup("env", key); ok {
		if header, ok := p.enclosingHeader(e.path); ok {
			return nil, p.errorAt(position{}, "missing key %q: line %d sets it inside [env]; move it above the [env] header on line %d",
				key, e.key.line, header.line)
		}
	}
	return nil, p.errorAt(position{}, "missing key %q: add a line like %s above the first [table] header", key, example)
}

func (p *parser) checkName(name string) error {
	e, err := p.required("name", `name = "echo"`)
	if err != nil {
		return err
	}
	if err := wisp.ValidateAppName(name); err != nil {
		return p.wrap(e.value, err)
	}
	return nil
}

// module returns the path of the module file.
func (p *parser) module(ref string) (string, error) {
	e, err := p.required("module", `module = "echo.wasm"`)
	if err != nil {
		return "", err
	}
	switch {
	case ref == "":
		return "", p.errorAt(e.value, "module is empty: set it to the path of your .wasm file, like module = \"echo.wasm\"")
	case strings.Contains(ref, "://"):
		return "", p.errorAt(e.value, "module %q: remote module references are not supported yet; build the .wasm and give its path, relative to %s", ref, filepath.Base(p.file))
	}
	return p.resolvePath(ref), nil
}

// resolvePath returns a path from the manifest, written with '/', resolved
// against the manifest's directory.
func (p *parser) resolvePath(rel string) string {
	native := filepath.FromSlash(rel)
	if filepath.IsAbs(native) {
		return filepath.Clean(native)
	}
	return filepath.Join(p.dir, native)
}

func (p *parser) routes(doc *document) ([]wisp.Route, error) {
	e, err := p.required("routes", `routes = ["/echo/..."]`)
	if err != nil {
		return nil, err
	}
	if len(doc.Routes) == 0 {
		example := "/echo/..."
		if wisp.ValidateAppName(doc.Name) == nil {
			example = "/" + doc.Name + "/..."
		}
		return nil, p.errorAt(e.value, "routes is empty: add at least one, like routes = [%q]", example)
	}
	routes := make([]wisp.Route, len(doc.Routes))
	first := map[wisp.Route]position{}
	for i, text := range doc.Routes {
		pos := p.valuePos("routes", indexPart(i))
		r, err := wisp.ParseRoute(text)
		if err != nil {
			return nil, p.wrap(pos, err)
		}
		if at, dup := first[r]; dup {
			return nil, p.errorAt(pos, "route %q is listed twice (also on line %d); remove one", r, at.line)
		}
		first[r] = pos
		routes[i] = r
	}
	return routes, nil
}

func (p *parser) checkEnv(env map[string]string) error {
	// Check in the order written, so the first problem in the file is the
	// one reported.
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		pa, pb := p.keyPos("env", a), p.keyPos("env", b)
		return cmp.Or(cmp.Compare(pa.line, pb.line), cmp.Compare(pa.column, pb.column), strings.Compare(a, b))
	})
	for _, k := range keys {
		if !wisp.ValidEnvKey(k) {
			return p.errorAt(p.keyPos("env", k), "environment variable name %q is not valid: use letters, digits and '_', not starting with a digit, like GREETING", k)
		}
		if strings.ContainsRune(env[k], 0) {
			return p.errorAt(p.valuePos("env", k), "env.%s contains a NUL character, which environment variables cannot hold", k)
		}
	}
	return nil
}

func (p *parser) files(entries []fileEntry) ([]File, error) {
	if e, ok := p.idx.lookup("files"); ok && e.kind != unstable.Array && e.kind != unstable.ArrayTable {
		return nil, p.wrongType(e.key, e.path, e.kind, e)
	}
	var files []File
	first := map[string]position{}
	for i, f := range entries {
		at := indexPart(i)
		header := p.keyPos("files", at)
		source, ok := p.idx.lookup("files", at, "source")
		if !ok {
			return nil, p.errorAt(header, "this [[files]] entry has no source: add a line like source = \"static\" (a directory next to %s)", filepath.Base(p.file))
		}
		if f.Source == "" {
			return nil, p.errorAt(source.value, "files%s.source is empty: set it to a directory next to %s, like source = \"static\"", at, filepath.Base(p.file))
		}
		mount, ok := p.idx.lookup("files", at, "mount")
		if !ok {
			return nil, p.errorAt(header, "this [[files]] entry has no mount: add a line like mount = \"/static\" (where the guest sees the files)")
		}
		if problem := mountProblem(f.Mount); problem != "" {
			return nil, p.errorAt(mount.value, "files%s.mount %s", at, problem)
		}
		if prev, dup := first[f.Mount]; dup {
			return nil, p.errorAt(mount.value, "mount %q is used twice (also on line %d); give each [[files]] entry its own mount", f.Mount, prev.line)
		}
		first[f.Mount] = mount.value
		files = append(files, File{Source: p.resolvePath(f.Source), SourceRef: f.Source, Mount: f.Mount})
	}
	return files, nil
}

// mountProblem applies wisp.AppSpec.Validate's rule for mounts, a clean
// absolute guest path other than "/", and says what is wrong, if anything.
func mountProblem(mount string) string {
	switch clean := path.Clean("/" + mount); {
	case mount == "":
		return `is empty: set it to an absolute guest path, like "/static"`
	case clean == "/":
		return fmt.Sprintf(`%q would cover the guest's whole file system: use a directory, like "/static"`, mount)
	case mount != clean:
		return fmt.Sprintf("%q must be a clean absolute path: write %q", mount, clean)
	}
	return ""
}

// checkPaths checks that the module file and every files source directory
// exist. Load runs it; Parse does not touch the disk.
func (p *parser) checkPaths(m *Manifest) error {
	name := filepath.Base(p.file)
	pos := p.valuePos("module")
	switch info, err := os.Stat(m.Module); {
	case errors.Is(err, fs.ErrNotExist):
		return &Error{File: p.file, Line: pos.line, Column: pos.column, Err: err,
			Msg: fmt.Sprintf("module %q not found next to %s (looked for %s)", m.ModuleRef, name, m.Module)}
	case err != nil:
		return &Error{File: p.file, Line: pos.line, Column: pos.column, Err: err,
			Msg: fmt.Sprintf("module %q: %v", m.ModuleRef, err)}
	case info.IsDir():
		return p.errorAt(pos, "module %q is a directory (%s): point module at the .wasm file", m.ModuleRef, m.Module)
	}
	for i, f := range m.Files {
		at := indexPart(i)
		pos := p.valuePos("files", at, "source")
		ref := f.SourceRef
		switch info, err := os.Stat(f.Source); {
		case errors.Is(err, fs.ErrNotExist):
			return &Error{File: p.file, Line: pos.line, Column: pos.column, Err: err,
				Msg: fmt.Sprintf("files%s.source %q not found next to %s (looked for %s)", at, ref, name, f.Source)}
		case err != nil:
			return &Error{File: p.file, Line: pos.line, Column: pos.column, Err: err,
				Msg: fmt.Sprintf("files%s.source %q: %v", at, ref, err)}
		case !info.IsDir():
			return p.errorAt(pos, "files%s.source %q is a file (%s): it must be a directory, whose contents appear at %s", at, ref, f.Source, f.Mount)
		}
	}
	return nil
}

// keyPos returns where the key of path was written, or the zero position
// if it was not.
func (p *parser) keyPos(path ...string) position {
	if e, ok := p.idx.lookup(path...); ok {
		return e.key
	}
	return position{}
}

// valuePos returns where the value of path was written, or the zero
// position if it was not.
func (p *parser) valuePos(path ...string) position {
	if e, ok := p.idx.lookup(path...); ok {
		return e.value
	}
	return position{}
}

// wrap locates an error from the root package at pos. Its "invalid: "
// prefix is dropped from the message (the location already says the
// manifest is wrong) but kept for errors.Is.
func (p *parser) wrap(pos position, err error) *Error {
	msg := strings.TrimPrefix(err.Error(), wisp.ErrInvalid.Error()+": ")
	if !errors.Is(err, wisp.ErrInvalid) {
		err = fmt.Errorf("%w: %w", wisp.ErrInvalid, err)
	}
	return &Error{File: p.file, Line: pos.line, Column: pos.column, Msg: msg, Err: err}
}
