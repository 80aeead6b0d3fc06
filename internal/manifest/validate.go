package manifest

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/internal/bundle"
	"github.com/wisphq/wisp/internal/oci"
)

// manifest checks the decoded document against the schema and resolves
// its paths. Every key is checked on its own and every problem recorded,
// so that one run reports all of them (see joinErrors).
func (p *parser) manifest(doc map[string]any) (*Manifest, error) {
	if len(doc) == 0 && !strings.HasSuffix(p.file, ".toml") {
		// Only blanks and comments, like a Markdown file with # headings.
		return nil, p.errorAt(position{}, "sets none of the keys of a %s: is it a manifest? pass a %s or a directory holding one", FileName, FileName)
	}
	p.checkUnknownKeys(doc)
	m := &Manifest{Path: p.file, Dir: p.dir}
	m.Name = p.name(doc)
	m.ModuleRef, m.Module, m.ModuleOCI = p.module(doc)
	m.Routes = p.routes(doc, m.Name)
	m.KeyValueStores = p.keyValueStores(doc)
	m.AllowedOutboundHosts = p.allowedOutboundHosts(doc)
	m.Env = p.env(doc)
	m.Files = p.files(doc)
	app := m.Name
	if wisp.ValidateAppName(app) != nil {
		app = ""
	}
	m.Variables = p.variables(doc, app)
	m.Limits = p.limits(doc)
	if err := joinErrors(p.errs); err != nil {
		return nil, err
	}
	return m, nil
}

// checkUnknownKeys reports every key the schema does not define. [env]
// and [variables] take any key; their names are checked by env and
// variables, and the keys of each variable here.
func (p *parser) checkUnknownKeys(doc map[string]any) {
	check := func(table map[string]any, prefix ...string) {
		for _, k := range slices.Sorted(maps.Keys(table)) {
			path := join(prefix, k)
			if _, key, _ := unknownKey(path); key != "" {
				p.report(p.unknownKeyError(p.entryOf(path...).key, path))
			}
		}
	}
	check(doc)
	if list, ok := doc["files"].([]any); ok {
		for i, el := range list {
			if t, ok := el.(map[string]any); ok {
				check(t, "files", indexPart(i))
			}
		}
	}
	if vars, ok := doc["variables"].(map[string]any); ok {
		for _, name := range slices.Sorted(maps.Keys(vars)) {
			if t, ok := vars[name].(map[string]any); ok {
				check(t, "variables", name)
			}
		}
	}
	if t, ok := doc["limits"].(map[string]any); ok {
		check(t, "limits")
	}
}

// required returns the value and entry of a top-level key every manifest
// must set. If it is missing, it reports so, showing a line to add, and
// returns ok false.
func (p *parser) required(doc map[string]any, key, example string) (v any, e *entry, ok bool) {
	if v, ok := doc[key]; ok {
		return v, p.entryOf(key), true
	}
	if p.slipped[pathKey([]string{key})] {
		return nil, nil, false // reported where it was written
	}
	// A common slip: the key was written, but below the [env] or
	// [variables] header, which makes it a variable of that table.
	for _, table := range []string{"env", "variables"} {
		if e, ok := p.idx.lookup(table, key); ok {
			if header, ok := p.enclosingHeader(e.path); ok {
				p.explained[pathKey(e.path)] = true
				p.reportAt(e.key, "missing key %q: this line sets it inside %s; move it above the %s header on line %d", key, tableHeader[table], tableHeader[table], header.line)
				return nil, nil, false
			}
		}
	}
	p.reportAt(position{}, "missing key %q: add a line like %s above the first [table] header", key, example)
	return nil, nil, false
}

// str returns v as a string, or reports that the value of e is not one.
func (p *parser) str(v any, e *entry) (string, bool) {
	s, ok := v.(string)
	if !ok {
		p.report(p.wrongType(e.value, e.path, e.kind, e))
	}
	return s, ok
}

func (p *parser) name(doc map[string]any) string {
	v, e, ok := p.required(doc, "name", `name = "echo"`)
	if !ok {
		return ""
	}
	name, ok := p.str(v, e)
	if !ok {
		return ""
	}
	if err := wisp.ValidateAppName(name); err != nil {
		p.report(p.wrap(e.value, err))
	}
	return name
}

// module returns the module as written and either its path or, for
// module = "oci://...", its OCI reference without the scheme.
func (p *parser) module(doc map[string]any) (ref, path, image string) {
	v, e, ok := p.required(doc, "module", `module = "echo.wasm"`)
	if !ok {
		return "", "", ""
	}
	if ref, ok = p.str(v, e); !ok {
		return "", "", ""
	}
	switch {
	case ref == "":
		p.reportAt(e.value, "module is empty: set it to the path of your .wasm file, like module = \"echo.wasm\", or to an OCI artifact, like module = \"oci://ghcr.io/acme/echo:1.0\"")
		return ref, "", ""
	case strings.HasPrefix(ref, ociScheme):
		r, err := oci.ParseReference(ref)
		if err != nil {
			// The reference's own message starts `reference "oci://..."`.
			p.report(p.wrap(e.value, fmt.Errorf("module%w", trimPrefixError{err, "reference"})))
			return ref, "", ""
		}
		return ref, "", r.String()
	case strings.Contains(ref, "://"):
		p.reportAt(e.value, "module %q: the only remote modules are OCI artifacts, written like \"oci://ghcr.io/acme/echo:1.0\"; or give the path of the .wasm, relative to %s", ref, filepath.Base(p.file))
		return ref, "", ""
	}
	native, ok := p.local(e.value, named{"module", ref, moduleFix})
	if !ok {
		return ref, "", ""
	}
	return ref, filepath.Join(p.dir, native), ""
}

// ociScheme starts a module that is an OCI artifact.
const ociScheme = "oci://"

// trimPrefixError is err with a word dropped from the front of its message;
// errors.Is and errors.As still see err.
type trimPrefixError struct {
	err    error
	prefix string
}

func (t trimPrefixError) Error() string { return strings.TrimPrefix(t.err.Error(), t.prefix) }
func (t trimPrefixError) Unwrap() error { return t.err }

// routes returns the valid routes; name is the app's, for an example.
func (p *parser) routes(doc map[string]any, name string) []wisp.Route {
	v, e, ok := p.required(doc, "routes", `routes = ["/echo/..."]`)
	if !ok {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		p.report(p.wrongType(e.value, e.path, e.kind, e))
		return nil
	}
	if len(list) == 0 {
		// Written out empty on purpose: the app answers no HTTP request
		// and is only invoked by name (wisp.Node.Invoke). A missing
		// routes key stays an error, so a forgotten one is not silent.
		return []wisp.Route{}
	}
	var routes []wisp.Route
	first := map[wisp.Route]position{}
	for i, el := range list {
		re := p.entryOf("routes", indexPart(i))
		text, ok := p.str(el, re)
		if !ok {
			continue
		}
		r, err := wisp.ParseRoute(text)
		if err != nil {
			p.report(p.wrap(re.value, err))
			continue
		}
		if at, dup := first[r]; dup {
			p.reportAt(re.value, "route %q is listed twice (also on line %d); remove one", r, at.line)
			continue
		}
		first[r] = re.value
		routes = append(routes, r)
	}
	return routes
}

// env returns the [env] table, nil if the manifest sets no variables.
func (p *parser) env(doc map[string]any) map[string]string {
	v, ok := doc["env"]
	if !ok {
		return nil
	}
	table, ok := v.(map[string]any)
	if !ok {
		e := p.entryOf("env")
		p.report(p.wrongType(e.value, e.path, e.kind, e))
		return nil
	}
	env := make(map[string]string, len(table))
	for _, k := range p.inFileOrder(table, "env") {
		e := p.entryOf("env", k)
		if p.explained[pathKey(e.path)] {
			continue
		}
		if !wisp.ValidEnvKey(k) {
			p.reportAt(e.key, "environment variable name %q is not valid: use letters, digits and '_', not starting with a digit, like GREETING", k)
			continue
		}
		value, ok := p.str(table[k], e)
		if !ok {
			continue
		}
		if strings.ContainsRune(value, 0) {
			p.reportAt(e.value, "env.%s contains a NUL character, which environment variables cannot hold", k)
			continue
		}
		env[k] = value
	}
	if len(env) == 0 {
		return nil
	}
	return env
}

// inFileOrder returns the keys of the table at prefix in the order they
// were written.
func (p *parser) inFileOrder(table map[string]any, prefix ...string) []string {
	return slices.SortedFunc(maps.Keys(table), func(a, b string) int {
		pa, pb := p.entryOf(join(prefix, a)...).key, p.entryOf(join(prefix, b)...).key
		return cmp.Or(cmp.Compare(pa.line, pb.line), cmp.Compare(pa.column, pb.column), strings.Compare(a, b))
	})
}

// files returns the valid [[files]] entries.
func (p *parser) files(doc map[string]any) []File {
	v, ok := doc["files"]
	if !ok {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		e := p.entryOf("files")
		p.report(p.wrongType(e.value, e.path, e.kind, e))
		return nil
	}
	var files []File
	first := map[string]position{}
	for i, el := range list {
		at := indexPart(i)
		entry := p.entryOf("files", at)
		table, ok := el.(map[string]any)
		if !ok {
			p.report(p.wrongType(entry.value, entry.path, entry.kind, entry))
			continue
		}
		source, sourceOK := p.fileSource(table, at, entry.key)
		mount, mountOK := p.fileMount(table, at, entry.key)
		if !mountOK {
			continue
		}
		if prev, dup := first[mount]; dup {
			pos := p.entryOf("files", at, "mount").value
			p.reportAt(pos, "mount %q is used twice (also on line %d); give each [[files]] entry its own mount", mount, prev.line)
			continue
		}
		first[mount] = p.entryOf("files", at, "mount").value
		if !sourceOK {
			continue
		}
		key := "files" + at + ".source"
		if native, ok := p.local(p.entryOf("files", at, "source").value, named{key, source, filesFix}); ok {
			files = append(files, File{Source: filepath.Join(p.dir, native), SourceRef: source, Mount: mount})
		}
	}
	return files
}

// fileSource returns the source of the [[files]] entry at (whose header is
// at header), or reports what is wrong with it.
func (p *parser) fileSource(table map[string]any, at string, header position) (string, bool) {
	v, ok := table["source"]
	if !ok && p.slipped[pathKey([]string{"files", at, "source"})] {
		return "", false // misspelled, and reported there
	}
	if !ok {
		p.reportAt(header, "this [[files]] entry has no source: add a line like source = \"static\" (a directory next to %s)", filepath.Base(p.file))
		return "", false
	}
	e := p.entryOf("files", at, "source")
	source, ok := p.str(v, e)
	if ok && source == "" {
		p.reportAt(e.value, "files%s.source is empty: set it to a directory next to %s, like source = \"static\"", at, filepath.Base(p.file))
		return "", false
	}
	return source, ok
}

// fileMount returns the mount of the [[files]] entry at (whose header is
// at header), or reports what is wrong with it.
func (p *parser) fileMount(table map[string]any, at string, header position) (string, bool) {
	v, ok := table["mount"]
	if !ok && p.slipped[pathKey([]string{"files", at, "mount"})] {
		return "", false // misspelled, and reported there
	}
	if !ok {
		p.reportAt(header, "this [[files]] entry has no mount: add a line like mount = \"/static\" (where the guest sees the files)")
		return "", false
	}
	e := p.entryOf("files", at, "mount")
	mount, ok := p.str(v, e)
	if !ok {
		return "", false
	}
	if problem := mountProblem(mount); problem != "" {
		p.reportAt(e.value, "files%s.mount %s", at, problem)
		return "", false
	}
	return mount, true
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
// exist beneath the manifest's directory, and that no files directory holds
// a symbolic link leading out of it, reporting every problem. It looks
// through an os.Root on the directory, which refuses whatever leads out of
// it: "..", absolute paths and symbolic links, at any component. Load runs
// it; Parse does not touch the disk.
func (p *parser) checkPaths(m *Manifest) error {
	root, err := os.OpenRoot(m.Dir)
	if err != nil {
		return &Error{File: p.file, Msg: fmt.Sprintf("cannot open its directory: %v", err), Err: err}
	}
	defer root.Close()
	name := filepath.Base(p.file)
	pos := p.valuePos("module")
	if m.ModuleOCI == "" { // else in a registry: the deploy resolves it
		switch info, err := root.Stat(filepath.FromSlash(m.ModuleRef)); {
		case escapes(err):
			p.report(p.escapeError(pos, named{"module", m.ModuleRef, moduleFix}))
		case errors.Is(err, fs.ErrNotExist):
			msg := fmt.Sprintf("module %q not found next to %s (looked for %s)", m.ModuleRef, name, m.Module)
			if _, err := oci.ParseReference(m.ModuleRef); err == nil {
				msg += fmt.Sprintf("; if it names an OCI artifact, write module = %q", ociScheme+m.ModuleRef)
			}
			p.report(&Error{File: p.file, Line: pos.line, Column: pos.column, Err: err, Msg: msg})
		case err != nil:
			p.report(&Error{File: p.file, Line: pos.line, Column: pos.column, Err: err,
				Msg: fmt.Sprintf("module %q: %v", m.ModuleRef, err)})
		case info.IsDir():
			p.reportAt(pos, "module %q is a directory (%s): point module at the .wasm file", m.ModuleRef, m.Module)
		case !info.Mode().IsRegular():
			p.reportAt(pos, "module %q is a %s (%s), not a file: point module at the .wasm file", m.ModuleRef, bundle.DescribeMode(info.Mode().Type()), m.Module)
		}
	}
	for i, f := range m.Files {
		at := indexPart(i)
		pos := p.valuePos("files", at, "source")
		ref := f.SourceRef
		switch info, err := root.Stat(filepath.FromSlash(ref)); {
		case escapes(err):
			p.report(p.escapeError(pos, named{"files" + at + ".source", ref, filesFix}))
		case errors.Is(err, fs.ErrNotExist):
			p.report(&Error{File: p.file, Line: pos.line, Column: pos.column, Err: err,
				Msg: fmt.Sprintf("files%s.source %q not found next to %s (looked for %s)", at, ref, name, f.Source)})
		case err != nil:
			p.report(&Error{File: p.file, Line: pos.line, Column: pos.column, Err: err,
				Msg: fmt.Sprintf("files%s.source %q: %v", at, ref, err)})
		case !info.IsDir():
			p.reportAt(pos, "files%s.source %q is a file (%s): it must be a directory, whose contents appear at %s", at, ref, f.Source, f.Mount)
		default:
			if e := p.checkLinks(root, f, i, pos); e != nil {
				p.report(e)
			}
		}
	}
	return joinErrors(p.errs)
}

// entryOf returns the index entry of path. A table made implicitly by a
// dotted key (limits.memory = ... makes limits) has no entry of its own:
// it gets one located at its first key. A path not written at all gets an
// entry without a position.
func (p *parser) entryOf(path ...string) *entry {
	if e, ok := p.idx.lookup(path...); ok {
		return e
	}
	made := &entry{path: path, kind: unstable.Invalid}
	if p.idx == nil {
		return made
	}
	prefix := pathKey(path) + "\x00"
	for k, e := range p.idx.entries {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		if made.kind == unstable.Invalid || e.key.line < made.key.line || e.key.line == made.key.line && e.key.column < made.key.column {
			made.key, made.value, made.kind = e.key, e.key, unstable.Table
		}
	}
	return made
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
