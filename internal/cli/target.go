package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/internal/manifest"
)

// deployTarget is what the PATH of `wisp deploy PATH` holds.
type deployTarget int

const (
	// targetManifest is a directory, a wisp.toml, or a path that does not
	// exist: manifest.Load reads it, or explains what is missing.
	targetManifest deployTarget = iota
	// targetModule is a WebAssembly binary module, deployed with flags.
	targetModule
)

// wasmMagic starts every WebAssembly binary module.
var wasmMagic = []byte("\x00asm")

// sniffSize is how much of a file classifyTarget reads.
const sniffSize = 64 << 10

// classifyTarget decides what path is by its content more than its name:
// a file starting with the wasm magic is a module; WebAssembly text, a
// non-module given with the quick-start flags (--route or --name; quick)
// or a binary that is not a module is refused with an error saying what
// to pass instead; a directory, any other file, or a path that does not
// exist is a manifest.
//
// A file named *.toml is a manifest even with quick-start flags, which
// then override it.
func classifyTarget(path string, quick bool) (deployTarget, error) {
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && strings.HasSuffix(path, ".wasm"):
		return targetModule, nil // planFromModule says it is missing, after checking the flags
	case err != nil || info.IsDir():
		return targetManifest, nil
	}
	head, err := readHead(path, sniffSize)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", path, err)
	}
	switch {
	case bytes.HasPrefix(head, wasmMagic):
		return targetModule, nil
	case strings.HasSuffix(path, ".wat") || looksLikeWAT(head):
		wasm := strings.TrimSuffix(path, filepath.Ext(path)) + ".wasm"
		return 0, fmt.Errorf("%s is WebAssembly text: compile it first, e.g. wat2wasm %s -o %s", path, path, wasm)
	case strings.HasSuffix(path, ".wasm") || quick && !strings.HasSuffix(path, ".toml"):
		return 0, fmt.Errorf(`%s is not a WebAssembly module (it does not start with "\0asm"); pass a .wasm file, or a %s / a directory holding one`, path, manifest.FileName)
	case bytes.IndexByte(head, 0) >= 0: // text, as TOML is, never holds a NUL
		return 0, neitherError(path, "it holds binary data")
	case info.Size() > manifest.MaxSize:
		return 0, neitherError(path, fmt.Sprintf("it is larger than %s, and a manifest is a few lines", wisp.ByteSize(manifest.MaxSize)))
	}
	return targetManifest, nil
}

// neitherError says that path is neither a module nor a manifest, and why
// it is not a manifest.
func neitherError(path, why string) error {
	return fmt.Errorf(`%s is neither a WebAssembly module (it does not start with "\0asm") nor a %s (%s); pass a .wasm file with --route, or a %s / a directory holding one`,
		path, manifest.FileName, why, manifest.FileName)
}

// readHead returns up to n bytes from the start of the file at path.
func readHead(path string, n int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	head := make([]byte, n)
	read, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return head[:read], nil
}

// looksLikeWAT reports whether text starts, after blanks and comments
// (";; line" and "(; block ;)", which nest), with "(module": WebAssembly
// text format.
func looksLikeWAT(text []byte) bool {
	for {
		text = bytes.TrimLeft(text, " \t\r\n")
		switch {
		case bytes.HasPrefix(text, []byte(";;")):
			end := bytes.IndexByte(text, '\n')
			if end < 0 {
				return false
			}
			text = text[end+1:]
		case bytes.HasPrefix(text, []byte("(;")):
			depth := 1
			for text = text[2:]; depth > 0 && len(text) > 0; {
				switch {
				case bytes.HasPrefix(text, []byte("(;")):
					depth, text = depth+1, text[2:]
				case bytes.HasPrefix(text, []byte(";)")):
					depth, text = depth-1, text[2:]
				default:
					text = text[1:]
				}
			}
			if depth > 0 {
				return false
			}
		default:
			rest, ok := bytes.CutPrefix(text, []byte("(module"))
			// "(module" ends the word: "(modules" is something else.
			return ok && (len(rest) == 0 || bytes.IndexByte([]byte(" \t\r\n()$;"), rest[0]) >= 0)
		}
	}
}
