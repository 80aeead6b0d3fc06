// Package manifest reads wisp.toml, the file that describes an app for
// deploying:
//
//	name = "echo"              # app name
//	module = "echo.wasm"       # the .wasm, beneath wisp.toml's directory,
//	                           # or an OCI artifact: "oci://ghcr.io/acme/echo:1.0"
//	routes = ["/echo/..."]     # see wisp.ParseRoute; routes = [] for an app only
//	                           # invoked by name (wisp.Node.Invoke), never over HTTP
//	key_value_stores = ["default"]   # stores the app may open; see wisp.ValidateKVStoreName
//	allowed_outbound_hosts = ["https://api.example.com", "http://127.0.0.1:8080"]
//	                           # URL patterns the app may call (docs/outbound.md)
//
//	[env]                      # environment variables; string values only
//	GREETING = "hello"
//
//	[[files]]                  # a read-only directory for the guest; repeatable
//	source = "static"          # directory, beneath wisp.toml's directory
//	mount = "/static"          # absolute guest path
//
//	[variables]                # read at run time (docs/guest-abi.md); each one of:
//	greeting = { default = "hi" }   # a string used while no value is set
//	region = { required = true }    # a deploy needs a value set first
//	api_key = { secret = true }     # its value is encrypted; no default allowed
//
//	[limits]                   # all optional; see wisp.Limits
//	memory = "64MiB"           # a wisp.ByteSize, or a whole number of bytes
//	timeout = "5s"             # a Go duration
//	cpu = "50ms"               # CPU time per request, as fuel (docs/cpu.md)
//	max_body = "1MiB"
//	max_response = "1MiB"
//	max_concurrency = 32
//	kv_ops = 1000              # key-value operations per request
//	outbound_requests = 32     # outbound HTTP requests per request
//	outbound_bytes = "16MiB"   # outbound bodies per request, a size like max_body
//
// All of key_value_stores, allowed_outbound_hosts and [variables] are
// optional: an app declaring none reaches no platform service. A
// variable is written as an inline table, as above, or as a table of its
// own ([variables.greeting] then default = "hi"); required and secret are
// booleans, and a required or secret variable cannot have a default.
//
// Users write this file by hand, so every problem is reported as an [*Error]
// that names the file, the line and column where the offending key or value
// was written, and how to fix it; when there are several independent
// problems, all of them (up to [MaxErrors]) come back at once, in file
// order, as an [*ErrorList]. Unknown keys are refused (with a "did you
// mean" suggestion) rather than ignored, so a typo cannot silently drop a
// setting.
//
// A manifest is confined to its directory: module and every files source
// must lie beneath the directory holding wisp.toml, without an absolute
// path, a ".." climbing out, or a symbolic link (anywhere on the way, or
// inside a files directory) leading out, so that a manifest in a cloned
// repository cannot make its reader upload their own files. [Load] checks
// this through an os.Root, and [Manifest.OpenModule] and
// [Manifest.OpenFiles] open through one, so what is read cannot be
// outside even if the tree changed since. Paths given on the command line
// are the user's, not the manifest's: this package does not see them.
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
// directory that holds it. Values are validated with the root package's
// rules (wisp.ValidateAppName, wisp.ParseRoute, wisp.Limits.Validate,
// wisp.ValidateKVStoreName, wisp.ValidateVariableName, and
// wisp.AppSpec.Validate's rules for allowed_outbound_hosts and variables),
// so a Manifest converts to a valid wisp.AppSpec once its module and file
// bundles are uploaded.
type Manifest struct {
	Path string // the file read, as given to Load or Parse
	Dir  string // the directory paths are resolved against: Path's directory (absolute after Load)

	Name string
	// Module is the path of the .wasm file, ModuleRef joined to Dir, for
	// messages; read it with OpenModule, which stays beneath Dir. It is
	// empty when the module is an OCI artifact (ModuleOCI).
	Module string
	// ModuleOCI is the module's OCI artifact when the manifest names one,
	// module = "oci://REGISTRY/REPOSITORY:TAG" (or "...@sha256:<hex>"):
	// the reference without "oci://", checked by oci.ParseReference but
	// not resolved. Empty for a module file.
	ModuleOCI string
	// ModuleRef is the module exactly as written in the manifest, for
	// messages ("echo.wasm").
	ModuleRef string
	Routes    []wisp.Route // in the order written; empty (not nil) for routes = []
	// KeyValueStores names the key-value stores the app may open, in the
	// order written; nil if none (wisp.AppSpec.KeyValueStores).
	KeyValueStores []string
	// AllowedOutboundHosts are the URL patterns the app may call, as
	// written; nil if none: no outbound requests
	// (wisp.AppSpec.AllowedOutboundHosts).
	AllowedOutboundHosts []string
	Env                  map[string]string // nil if the manifest sets none
	Files                []File            // in the order written
	// Variables declares the app's variables (wisp.AppSpec.Variables);
	// nil if none. Their values are set at run time, not here.
	Variables map[string]wisp.Variable
	// Limits holds the limits the manifest sets; zero fields mean "use the
	// default" (see wisp.Limits.WithDefaults). Explicit zeros are refused.
	Limits wisp.Limits
}

// File is one [[files]] entry: a host directory mounted read-only in the guest.
type File struct {
	Source    string // the host directory, joined to the manifest's directory; open it with Manifest.OpenFiles
	SourceRef string // the source exactly as written in the manifest, for messages ("static")
	Mount     string // the guest path, clean and absolute, such as "/static"
}

// Load reads and validates the manifest at path, which may be a wisp.toml
// file or a directory containing one (a wisp.toml found in a directory
// must be beneath it: a symbolic link leading out is refused). Beyond what
// [Parse] checks, it checks that the module file (unless it is an OCI
// artifact, which Load does not contact) and every files source directory
// exist beneath the manifest's directory once symbolic links are
// resolved, and that no files directory holds a symbolic link leading out
// of it. Manifest.Dir is absolute.
//
// Errors are [*Error] values, or an [*ErrorList] when there are several
// problems. Problems with the content wrap [wisp.ErrInvalid]; a module or
// source directory that does not exist wraps [fs.ErrNotExist]. When there
// is no manifest at path at all, the error matches [ErrNoManifest] and
// [fs.ErrNotExist], and its message, "no wisp.toml at PATH (...)", reads
// well after a caller's prefix naming the path.
func Load(path string) (*Manifest, error) {
	given := path
	if info, err := os.Stat(path); err == nil && info.IsDir() {
		path = filepath.Join(path, FileName)
	}
	data, err := readManifest(path, given)
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
// paths are resolved against; nothing is read from disk, so symbolic links
// are not checked, but absolute paths and paths climbing out of the
// directory with ".." are refused. Errors are
// [*Error] values wrapping [wisp.ErrInvalid], or an [*ErrorList] of up to
// [MaxErrors] of them, in file order, when there are several independent
// problems. A TOML syntax error stops parsing: it is reported alone.
func Parse(data []byte, filename string) (*Manifest, error) {
	_, m, err := parse(data, filename, filepath.Dir(filename))
	return m, err
}

func parse(data []byte, filename, dir string) (*parser, *Manifest, error) {
	// A byte order mark is invisible in editors; drop it rather than report
	// a syntax error at a character the user cannot see.
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	p := &parser{file: filename, dir: dir, slipped: map[string]bool{}, explained: map[string]bool{}}
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

// wasmMagic starts every WebAssembly binary module.
var wasmMagic = []byte("\x00asm")

// readManifest reads the file at path (given is the path Load was given),
// refusing anything that is not a small text file.
func readManifest(path, given string) ([]byte, error) {
	f, err := openManifest(path, given)
	if errors.Is(err, fs.ErrNotExist) {
		notFound := &Error{File: path, Err: fmt.Errorf("%w: %w", ErrNoManifest, err), standalone: true,
			Msg: fmt.Sprintf("no %s at %s (the path does not exist)", FileName, given)}
		if path != given { // given is a directory
			where := "in " + given
			if filepath.Clean(given) == "." {
				where = "in the current directory"
			}
			notFound.Msg = fmt.Sprintf("no %s %s: create one, or pass the path of your manifest", FileName, where)
		}
		return nil, notFound
	}
	var located *Error
	if errors.As(err, &located) {
		return nil, err
	}
	if err != nil {
		return nil, &Error{File: path, Msg: fmt.Sprintf("cannot read: %v", err), Err: err}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, &Error{File: path, Msg: fmt.Sprintf("cannot read: %v", err), Err: err}
	}
	const fix = "pass a " + FileName + " or a directory holding one"
	switch {
	case bytes.HasPrefix(data, wasmMagic):
		return nil, &Error{File: path, Err: wisp.ErrInvalid, standalone: true,
			Msg: fmt.Sprintf("%s is a WebAssembly module, not a %s: %s (its module key names the .wasm)", path, FileName, fix)}
	case bytes.IndexByte(data, 0) >= 0: // TOML text never holds a NUL
		return nil, &Error{File: path, Err: wisp.ErrInvalid, standalone: true,
			Msg: fmt.Sprintf("%s is not a %s (it holds binary data, not text): %s", path, FileName, fix)}
	case len(data) > MaxSize:
		return nil, &Error{File: path, Err: wisp.ErrTooLarge, standalone: true,
			Msg: fmt.Sprintf("%s is too large to be a %s (over %s; a manifest is a few lines): %s", path, FileName, wisp.ByteSize(MaxSize), fix)}
	}
	return data, nil
}
