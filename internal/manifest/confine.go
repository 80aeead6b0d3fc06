package manifest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/wisphq/wisp"
)

// Confinement (see the package documentation): Parse refuses what it can
// see in the text, absolute paths and ".." climbing out; Load resolves
// symbolic links through an os.Root on the manifest's directory, which
// refuses any path leading out of it; and OpenModule and OpenFiles open
// through an os.Root again, so the check and the read cannot race.

// confineRule is what a confinement error says the rule is.
const confineRule = "a manifest may only name files beneath its own directory"

// named is a path the manifest names, for confinement messages.
type named struct {
	key string // "module", "files[0].source"
	ref string // as written: "../x.wasm"
	fix string // how to do without it: "copy the file in, ..."
}

// Fixes of a path outside the manifest's directory.
const (
	moduleFix = "copy the file in, or deploy it by path: wisp deploy FILE.wasm --route ROUTE"
	filesFix  = "copy the files in"
)

// local returns ref, a path written in the manifest with '/', as a native
// path relative to the manifest's directory, or reports why it is not one
// and returns ok false: it is absolute, or climbs out with "..". Symbolic
// links are Load's to check.
func (p *parser) local(pos position, n named) (native string, ok bool) {
	native = filepath.FromSlash(n.ref)
	if filepath.IsLocal(native) {
		return native, true
	}
	if filepath.IsAbs(native) || filepath.VolumeName(native) != "" || os.IsPathSeparator(native[0]) {
		if rel, err := filepath.Rel(p.dir, native); filepath.IsAbs(p.dir) && err == nil && filepath.IsLocal(rel) {
			p.reportAt(pos, "%s %q is an absolute path: write it relative to the manifest's directory, %s = %q", n.key, n.ref, lastKey(n.key), filepath.ToSlash(rel))
			return "", false
		}
		p.reportAt(pos, "%s %q is an absolute path, outside the manifest's directory%s: %s (%s)", n.key, n.ref, p.shownDir(), confineRule, n.fix)
		return "", false
	}
	p.reportAt(pos, "%s %q is outside the manifest's directory%s: %s (%s)", n.key, n.ref, p.shownDir(), confineRule, n.fix)
	return "", false
}

// lastKey returns the last part of a key's display name: "source" for
// "files[0].source".
func lastKey(key string) string { return key[strings.LastIndexByte(key, '.')+1:] }

// shownDir is the manifest's directory for messages, with a leading
// space, when it is known: Load's is absolute; Parse's may be ".".
func (p *parser) shownDir() string {
	if filepath.IsAbs(p.dir) {
		return " " + p.dir
	}
	return ""
}

// escapes reports whether err is os.Root's refusal of a path that leads
// out of the root ("path escapes from parent"). The os package does not
// export that error, so it is matched by its text (TestLoadConfinement
// fails if it changes). Only messages depend on it: whatever os.Root
// refuses is refused.
func escapes(err error) bool {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return err != nil && err.Error() == "path escapes from parent"
}

// escapeError reports that n, which os.Root refused, leads out of the
// manifest's directory through a symbolic link, saying where to if it can.
func (p *parser) escapeError(pos position, n named) *Error {
	return p.linkError(pos, fmt.Sprintf("%s %q", n.key, n.ref), filepath.Join(p.dir, filepath.FromSlash(n.ref)), n.fix)
}

// linkError reports that subject (`module "app.wasm"`), at full, leads
// out of the manifest's directory through a symbolic link.
func (p *parser) linkError(pos position, subject, full, fix string) *Error {
	resolved, err := filepath.EvalSymlinks(full)
	if err != nil {
		return p.errorAt(pos, "%s leads out of the manifest's directory%s through a symbolic link: %s (%s)", subject, p.shownDir(), confineRule, fix)
	}
	if beneath(p.dir, resolved) {
		// It ends inside, but os.Root refuses a link whose target is
		// absolute or climbs above the root on the way.
		return p.errorAt(pos, "%s resolves to %s through a symbolic link whose target is absolute or climbs out of the manifest's directory%s: %s (make the link relative, without leaving the directory)", subject, resolved, p.shownDir(), confineRule)
	}
	return p.errorAt(pos, "%s resolves to %s through a symbolic link, outside the manifest's directory%s: %s (%s)", subject, resolved, p.shownDir(), confineRule, fix)
}

// beneath reports whether resolved, a path without symbolic links, is in
// dir or below it once dir's own symbolic links are resolved.
func beneath(dir, resolved string) bool {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return false
	}
	rel, err := filepath.Rel(real, resolved)
	return err == nil && filepath.IsLocal(rel)
}

// checkLinks reports the first symbolic link inside the files directory of
// f (the i'th entry, whose source was written at pos) that leads out of
// the manifest's directory. Links that stay inside are bundle.Pack's to
// refuse: a bundle holds only regular files and directories. Errors
// reading the tree are left to bundle.Pack as well.
func (p *parser) checkLinks(root *os.Root, f File, i int, pos position) *Error {
	sub, err := root.OpenRoot(filepath.FromSlash(f.SourceRef))
	if err != nil {
		return nil // reported by the Stat before
	}
	defer sub.Close()
	var found *Error
	fs.WalkDir(sub.FS(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return fs.SkipAll
		}
		if d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		inner := path.Join(f.SourceRef, name)
		if _, err := root.Stat(filepath.FromSlash(inner)); !escapes(err) {
			return nil
		}
		subject := fmt.Sprintf("files%s.source %q holds %s, which", indexPart(i), f.SourceRef, inner)
		found = p.linkError(pos, subject, filepath.Join(p.dir, filepath.FromSlash(inner)), "remove the link, or replace it with a copy of the file if that is meant to be published")
		return fs.SkipAll
	})
	return found
}

// openManifest opens the manifest at path; given is what Load was given.
// When that is a directory, the manifest is the directory's wisp.toml,
// chosen by Load rather than named by the user, so it is opened beneath
// the directory: a wisp.toml that is a symbolic link leading out of it is
// refused.
func openManifest(path, given string) (*os.File, error) {
	if path == given {
		return os.Open(path)
	}
	root, err := os.OpenRoot(given)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	f, err := root.Open(FileName)
	if !escapes(err) {
		return f, err
	}
	// The directory is the root: only the file itself can be the link.
	dir, _ := filepath.Abs(given)
	what := "a symbolic link leading out of " + dir
	if resolved, err := filepath.EvalSymlinks(path); err == nil {
		if abs, err := filepath.Abs(resolved); err == nil {
			what = fmt.Sprintf("a symbolic link to %s, outside %s", abs, dir)
		}
	}
	return nil, &Error{File: path, Err: wisp.ErrInvalid, standalone: true,
		Msg: fmt.Sprintf("%s is %s: the %s found in a directory must be beneath it (to deploy it anyway, name it: wisp deploy %s)", path, what, FileName, path)}
}

// OpenModule opens the module file for reading, through an os.Root on
// m.Dir: the file opened is beneath m.Dir, even if the tree changed since
// Load checked it (a path then leading out of m.Dir fails, with the
// message Load gives). The caller closes the file. It fails for a module
// that is an OCI artifact.
func (m *Manifest) OpenModule() (*os.File, error) {
	if m.ModuleOCI != "" {
		return nil, fmt.Errorf("%s: module %q is an OCI artifact, not a file", m.Path, m.ModuleRef)
	}
	root, err := os.OpenRoot(m.Dir)
	if err != nil {
		return nil, fmt.Errorf("%s: open the manifest's directory: %w", m.Path, err)
	}
	defer root.Close()
	f, err := root.Open(filepath.FromSlash(m.ModuleRef))
	switch {
	case escapes(err):
		p := &parser{file: m.Path, dir: m.Dir}
		return nil, p.escapeError(position{}, named{"module", m.ModuleRef, moduleFix})
	case err != nil:
		return nil, fmt.Errorf("%s: module %q: %w", m.Path, m.ModuleRef, err)
	}
	if info, err := f.Stat(); err != nil || !info.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s: module %q is not a regular file: point module at the .wasm file", m.Path, m.ModuleRef)
	}
	return f, nil
}

// OpenFiles opens the source directory of m.Files[i] as an os.Root
// beneath m.Dir, after checking again that no symbolic link in it leads
// out of m.Dir. Its FS method gives an fs.FS that cannot leave the
// directory, for packing. The caller closes the root.
func (m *Manifest) OpenFiles(i int) (*os.Root, error) {
	f := m.Files[i]
	root, err := os.OpenRoot(m.Dir)
	if err != nil {
		return nil, fmt.Errorf("%s: open the manifest's directory: %w", m.Path, err)
	}
	defer root.Close()
	p := &parser{file: m.Path, dir: m.Dir}
	key := "files" + indexPart(i) + ".source"
	sub, err := root.OpenRoot(filepath.FromSlash(f.SourceRef))
	switch {
	case escapes(err):
		return nil, p.escapeError(position{}, named{key, f.SourceRef, filesFix})
	case err != nil:
		return nil, fmt.Errorf("%s: %s %q: %w", m.Path, key, f.SourceRef, err)
	}
	if e := p.checkLinks(root, f, i, position{}); e != nil {
		sub.Close()
		return nil, e
	}
	return sub, nil
}
