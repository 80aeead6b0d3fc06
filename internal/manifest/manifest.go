// Package manifest reads wisp.toml, the file that describes an app for
// deploying:
//
//	name = "echo"              # app name
//	module = "echo.wasm"       # the .wasm, relative to wisp.toml's directory
//	routes = ["/echo/..."]     # see wisp.ParseRoute
//
//	[env]                      # environment variables; string values only
//	GREETING = "hello"
//
//	[[files]]                  # a read-only directory for the guest; repeatable
//	source = "static"          # directory, relative to wisp.toml's directory
//	mount = "/static"          # absolute guest path
//
//	[limits]                   # all optional; see wisp.Limits
//	memory = "64MiB"           # a wisp.ByteSize, or a whole number of bytes
//	timeout = "5s"             # a Go duration
//	max_body = "1MiB"
//	max_response = "1MiB"
//	max_concurrency = 32
//
// Users write this file by hand, so every problem is reported as an [*Error]
// that names the file, the line and column where the offending key or value
// was written, and how to fix it. Unknown keys are refused (with a "did you
// mean" suggestion) rather than ignored, so a typo cannot silently drop a
// setting.
//
// The package only reads: it uploads and packs nothing.
package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/wisphq/wisp"
)

// FileName is the manifest's conventional name, which [Load] looks for when
// given a directory.
const FileName = "wisp.toml"

// MaxSize is the largest manifest [Load] reads. A manifest is a few lines;
// anything bigger is almost certainly the wrong file.
const MaxSize = 1 << 20

// Manifest is a parsed wisp.toml with its paths resolved against the
// directory that holds it. Values are validated with the root package's rules
// (wisp.ValidateAppName, wisp.ParseRoute, wisp.Limits.Validate), so a
// Manifest converts to a valid wisp.AppSpec once its module and file bundles
// are uploaded.
type Manifest struct {
	Path string // the file read, as given to Load or Parse
	Dir  string // the directory paths are resolved against: Path's directory (absolute after Load)

	Name string
	// Module is the path of the .wasm file: ModuleRef joined to Dir, or
	// ModuleRef itself if that is absolute.
	Module string
	// ModuleRef is the module exactly as written in the manifest, for
	// messages ("echo.wasm").
	ModuleRef string
	Routes    []wisp.Route      // in the order written; at least one
	Env       map[string]string // nil if the manifest sets none
	Files     []File            // in the order written
	// Limits holds the limits the manifest sets; zero fields mean "use the
	// default" (see wisp.Limits.WithDefaults). Explicit zeros are refused.
	Limits wisp.Limits
}

// File is one [[files]] entry: a host directory mounted read-only in the guest.
type File struct {
	Source    string // the host directory, resolved against the manifest's directory
	SourceRef string // the source exactly as written in the manifest, for messages ("static")
	Mount     string // the guest path, clean and absolute, such as "/static"
}

// Load reads and validates the manifest at path, which may be a wisp.toml
// file or a directory containing one. Beyond what [Parse] checks, it checks
// that the module file and every files source directory exist. Manifest.Dir
// is absolute.
//
// Errors are [*Error] values. Problems with the content wrap
// [wisp.ErrInvalid]; a manifest, module or source directory that does not
// exist wraps [fs.ErrNotExist].
func Load(path string) (*Manifest, error) {
	if info, err := os.Stat(path); err == nil && info.IsDir() {
		path = filepath.Join(path, FileName)
	}
	data, err := readManifest(path)
	if err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, &Error{File: path, Msg: fmt.Sprintf("cannot resolve its directory: %v", err), Err: err}
	}
	p, m, err := parse(data, path, dir)
	if err != nil {
		return nil, err
	}
	if err := p.checkPaths(m); err != nil {
		return nil, err
	}
	return m, nil
}

// Parse parses and validates a manifest held in memory. filename is used in
// error messages, and its directory (filepath.Dir(filename)) is what relative
// paths are resolved against; nothing is read from disk. Errors are
// [*Error] values wrapping [wisp.ErrInvalid].
func Parse(data []byte, filename string) (*Manifest, error) {
	_, m, err := parse(data, filename, filepath.Dir(filename))
	return m, err
}

func parse(data []byte, filename, dir string) (*parser, *Manifest, error) {
	// A byte order mark is invisible in editors; drop it rather than report
	// a syntax error at a character the user cannot see.
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	p := &parser{file: filename, dir: dir}
	idx, syntaxErr := scan(data)
	p.idx = idx
	doc, err := p.decode(data) // reports syntax errors with their position
	if err != nil {
		return nil, nil, err
	}
	if syntaxErr != nil { // not expected: go-toml's decoder uses the same parser
		return nil, nil, &Error{File: filename, Msg: "TOML syntax error: " + syntaxErr.Error(), Err: wisp.ErrInvalid}
	}
	m, err := p.manifest(doc)
	if err != nil {
		return nil, nil, err
	}
	return p, m, nil
}

// readManifest reads the file at path, refusing anything that is not a
// small regular file.
func readManifest(path string) ([]byte, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		if filepath.Base(path) == FileName {
			return nil, &Error{File: path, Err: err,
				Msg: "not found: create one, or pass the path of your manifest"}
		}
		return nil, &Error{File: path, Err: err,
			Msg: "not found: pass the path of a " + FileName + " file or of the directory that contains one"}
	}
	if err != nil {
		return nil, &Error{File: path, Msg: fmt.Sprintf("cannot read: %v", err), Err: err}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, &Error{File: path, Msg: fmt.Sprintf("cannot read: %v", err), Err: err}
	}
	if len(data) > MaxSize {
		return nil, &Error{File: path, Err: wisp.ErrTooLarge,
			Msg: fmt.Sprintf("is larger than %s; a manifest is a few lines: is this the right file?", wisp.ByteSize(MaxSize))}
	}
	return data, nil
}
