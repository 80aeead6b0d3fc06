package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// target is a guest module the servers run, described by its wisp.toml.
type target struct {
	name    string   // "hello-c"
	lang    string   // the source language, for the report: "WAT", "C", "Go"
	dir     string   // the directory of its wisp.toml, relative to the repository
	module  string   // the module's absolute path
	path    string   // the request path: the manifest's first route
	size    int64    // the module's size in bytes
	exports []string // the names of its exported functions
	answer  string   // how its answer's body starts; "": "Hello"
}

// knownTargets are the modules the benchmark can serve, by name.
var knownTargets = map[string]struct{ lang, dir, answer string }{
	"hello-wat": {"WAT", "examples/hello", ""},
	"hello-c":   {"C", "bench/guests/hello-c", ""},
	"hello-go":  {"Go", "bench/guests/hello-go", ""},
	// The Go hello as a reactor: only Wisp serves it (pre-initialized).
	"hello-go-reactor": {"Go", "bench/guests/hello-go-reactor", ""},
	// The CPU-heavy guest: SHA-256 of 16 KiB and a JSON answer.
	"sha256-c": {"C", "bench/guests/sha256-c", `{"bytes":16384,"sha256":"9038ac64`},
}

// command reports whether the module is a WASI command (exports _start),
// which is what raw wazero, node and workerd can run.
func (t *target) command() bool { return slices.Contains(t.exports, "_start") }

// loadTarget reads the manifest of the known target name under root.
func loadTarget(root, name string) (*target, error) {
	known, ok := knownTargets[name]
	if !ok {
		return nil, fmt.Errorf("unknown target %q", name)
	}
	t := &target{name: name, lang: known.lang, dir: known.dir, answer: known.answer}
	manifestPath := filepath.Join(root, known.dir, "wisp.toml")
	text, err := os.ReadFile(manifestPath)
	if err != nil {
		return nil, fmt.Errorf("target %s: %w", name, err)
	}
	var m struct {
		Module string   `toml:"module"`
		Routes []string `toml:"routes"`
	}
	if err := toml.Unmarshal(text, &m); err != nil {
		return nil, fmt.Errorf("target %s: %s: %w", name, manifestPath, err)
	}
	if m.Module == "" || len(m.Routes) == 0 {
		return nil, fmt.Errorf("target %s: %s needs module and routes; see examples/hello/wisp.toml", name, manifestPath)
	}
	t.path = requestPath(m.Routes[0])
	t.module = filepath.Join(root, known.dir, m.Module)
	wasm, err := os.ReadFile(t.module)
	if err != nil {
		return nil, fmt.Errorf("target %s: %w (bench/guests/build.sh builds the benchmark's guests)", name, err)
	}
	t.size = int64(len(wasm))
	if t.exports, err = funcExports(wasm); err != nil {
		return nil, fmt.Errorf("target %s: %s: %w", name, t.module, err)
	}
	return t, nil
}

// requestPath returns a path the route answers: the route without its
// host, with a trailing "/..." (the prefix form) cut to "/".
func requestPath(route string) string {
	if i := strings.IndexByte(route, '/'); i > 0 {
		route = route[i:] // "example.com/x" -> "/x"
	}
	route = strings.TrimSuffix(route, "...")
	if route == "" {
		return "/"
	}
	return route
}

// funcExports returns the names of the functions a WebAssembly binary
// module exports, reading only its section headers and export section.
func funcExports(wasm []byte) ([]string, error) {
	if len(wasm) < 8 || string(wasm[:4]) != "\x00asm" || binary.LittleEndian.Uint32(wasm[4:8]) != 1 {
		return nil, errors.New("not a WebAssembly binary module (version 1)")
	}
	r := reader{b: wasm[8:]}
	for len(r.b) > 0 {
		id := r.byte()
		size := r.uint()
		if r.err != nil || size > uint64(len(r.b)) {
			return nil, errors.New("truncated section header")
		}
		body := reader{b: r.b[:size]}
		r.b = r.b[size:]
		if id != 7 { // the export section
			continue
		}
		var names []string
		for n := body.uint(); n > 0 && body.err == nil; n-- {
			name := body.name()
			kind := body.byte()
			body.uint() // the index
			if kind == 0 && body.err == nil {
				names = append(names, name)
			}
		}
		if body.err != nil {
			return nil, fmt.Errorf("export section: %w", body.err)
		}
		return names, nil
	}
	return nil, nil
}

// reader decodes the bytes of a module; after the first error every read
// returns zero and err stays set.
type reader struct {
	b   []byte
	err error
}

func (r *reader) byte() byte {
	if len(r.b) == 0 {
		r.fail()
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

// uint reads an unsigned LEB128 number of at most 32 bits.
func (r *reader) uint() uint64 {
	var v uint64
	for shift := 0; shift < 35; shift += 7 {
		c := r.byte()
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			return v
		}
	}
	r.fail()
	return 0
}

func (r *reader) name() string {
	n := r.uint()
	if n > uint64(len(r.b)) {
		r.fail()
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *reader) fail() {
	if r.err == nil {
		r.err = errors.New("unexpected end of data")
	}
	r.b = nil
}
