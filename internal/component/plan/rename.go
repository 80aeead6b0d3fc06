package plan

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Caps on what RenameImports reads from a core module (untrusted input).
const (
	// MaxImports is the most imports one core module may declare; wit-component's
	// fixup module, the largest seen, has a few hundred for a JavaScript component.
	MaxImports = 100_000
	// MaxImportName is the longest import module or field name, in bytes.
	MaxImportName = 64 << 10
)

// RenameImports returns a copy of the core module wasm whose import section
// names every import as to says, leaving every other byte as it is. It is
// how a plan points each import straight at its source ("wisp:i3",
// "memory"), so that one resolver answer per import module name serves it.
// Malformed input (a bad header, a truncated or overlong section, an unknown
// import kind, more than MaxImports imports) is an error; to's error stops
// the rewrite and is returned wrapped.
func RenameImports(wasm []byte, to func(mod, name string) (string, string, error)) ([]byte, error) {
	if len(wasm) < 8 || string(wasm[:4]) != "\x00asm" || binary.LittleEndian.Uint32(wasm[4:8]) != 1 {
		return nil, errors.New("rename imports: not a core WebAssembly module (bad magic or version)")
	}
	out := make([]byte, 0, len(wasm)+64)
	out = append(out, wasm[:8]...)
	r := &wasmReader{b: wasm[8:]}
	seenImports := false
	for len(r.b) > 0 && !r.bad {
		id := r.take(1)[0]
		body := r.take(r.uleb())
		if r.bad {
			break
		}
		if id == 2 {
			if seenImports {
				return nil, errors.New("rename imports: the module has two import sections")
			}
			seenImports = true
			var err error
			if body, err = renameSection(&wasmReader{b: body}, to); err != nil {
				return nil, fmt.Errorf("rename imports: %w", err)
			}
		}
		out = append(out, id)
		out = binary.AppendUvarint(out, uint64(len(body)))
		out = append(out, body...)
	}
	if r.bad {
		return nil, errors.New("rename imports: truncated section")
	}
	return out, nil
}

// ModuleImports lists a core module's imports as (module, name) pairs.
func ModuleImports(wasm []byte) ([][2]string, error) {
	var out [][2]string
	_, err := RenameImports(wasm, func(mod, name string) (string, string, error) {
		out = append(out, [2]string{mod, name})
		return mod, name, nil
	})
	return out, err
}

// wasmReader reads a module's bytes; bad is set at the first overrun.
type wasmReader struct {
	b   []byte
	bad bool
}

func (r *wasmReader) uleb() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 || n > 5 || v > 1<<32-1 {
		r.bad = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *wasmReader) take(n uint64) []byte {
	if r.bad || uint64(len(r.b)) < n {
		r.bad = true
		return []byte{0}
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *wasmReader) name() string {
	n := r.uleb()
	if n > MaxImportName {
		r.bad = true
		return ""
	}
	return string(r.take(n))
}

func (r *wasmReader) limits() {
	flags := r.take(1)[0]
	if flags > 7 {
		r.bad = true
		return
	}
	r.uleb()
	if flags&1 != 0 {
		r.uleb()
	}
}

func renameSection(r *wasmReader, to func(mod, name string) (string, string, error)) ([]byte, error) {
	count := r.uleb()
	if count > MaxImports || count > uint64(len(r.b)) {
		return nil, fmt.Errorf("import section claims %d imports (at most %d, and no more than its bytes)", count, MaxImports)
	}
	out := binary.AppendUvarint(nil, count)
	for i := uint64(0); i < count && !r.bad; i++ {
		mod, name := r.name(), r.name()
		start := r.b
		switch r.take(1)[0] {
		case 0: // func: type index
			r.uleb()
		case 1: // table: reftype, limits
			r.take(1)
			r.limits()
		case 2: // memory: limits
			r.limits()
		case 3: // global: valtype, mutability
			r.take(2)
		case 4: // tag: attribute, type index
			r.take(1)
			r.uleb()
		default:
			r.bad = true
		}
		if r.bad {
			break
		}
		newMod, newName, err := to(mod, name)
		if err != nil {
			return nil, err
		}
		for _, n := range []string{newMod, newName} {
			out = append(binary.AppendUvarint(out, uint64(len(n))), n...)
		}
		out = append(out, start[:len(start)-len(r.b)]...)
	}
	if r.bad || len(r.b) != 0 {
		return nil, errors.New("malformed import section")
	}
	return out, nil
}
