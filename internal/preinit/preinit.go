// Package preinit rewrites a WebAssembly module so that its instances start
// from a snapshot of an initialized instance instead of from scratch: the
// idea behind Wizer and Wasmer's Instaboot, done with a byte-level rewrite
// of the few sections that describe an instance's initial state.
//
// Pre-initialization takes two rewrites around one run:
//
//  1. Instrument exports every mutable global the module defines, so the
//     host can read their values after initialization (the linear memory
//     is reachable without an export).
//  2. The host instantiates the instrumented module, runs its
//     initialization (a reactor's _initialize) and records the memory and
//     the globals.
//  3. Apply returns the original module with those globals' initial values
//     replaced by the recorded ones, its memory's minimum size raised to the
//     recorded size, its active data segments emptied and its start section
//     removed. An instance of it, given the recorded memory as its initial
//     linear memory, is in the state the initialized instance was in.
//
// Reserve (reserve.go) is a third rewrite, for snapshots whose runs grow
// the memory: the pages they grow by are reserved in the snapshot, and
// memory.size and memory.grow are rewritten to hand them out, so a run
// needs no real growth.
//
// What a snapshot does not capture, and so what a pre-initialized module
// must not depend on: changes its initialization made to tables, and host
// state such as open file descriptors. Modules with mutable globals of
// reference or vector type are refused.
//
// The functions here do not validate modules: they expect modules that
// wazero has already compiled, and return an error rather than panic on
// anything they cannot read.
package preinit

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/wisphq/wisp/internal/wasmbin"
)

// ErrUnsupported is matched by errors for modules that are valid but
// cannot be pre-initialized, such as modules with a mutable global of
// reference type.
var ErrUnsupported = errors.New("module cannot be pre-initialized")

// Section ids.
const (
	secImport    = 2
	secMemory    = 5
	secGlobal    = 6
	secExport    = 7
	secStart     = 8
	secData      = 11
	secDataCount = 12
)

// Value types.
const (
	typeI32  = 0x7F
	typeI64  = 0x7E
	typeF32  = 0x7D
	typeF64  = 0x7C
	typeV128 = 0x7B
)

// GlobalExportPrefix starts the names Instrument gives the exports it
// adds; the global's index follows.
const GlobalExportPrefix = "wisp.preinit.global."

// Global is a mutable global defined by the module.
type Global struct {
	Index  uint32 // in the module's global index space (imports first)
	Type   byte   // value type: 0x7F i32, 0x7E i64, 0x7D f32, 0x7C f64
	Export string // the export Instrument adds for it
}

// Snapshot is the state of an initialized instance.
type Snapshot struct {
	Globals     map[uint32]uint64 // by global index: the value's bits, as wazero's api.Global.Get returns them
	MemoryPages uint32            // the memory's size in 64 KiB pages
}

// Instrument returns wasm with an export added for each mutable global it
// defines, and those globals. It fails with ErrUnsupported when a mutable
// global is not a number (a reference or a v128).
func Instrument(wasm []byte) ([]byte, []Global, error) {
	secs, err := wasmbin.Sections(wasm)
	if err != nil {
		return nil, nil, err
	}
	imported, err := wasmbin.ImportedGlobals(secs)
	if err != nil {
		return nil, nil, err
	}
	var globals []Global
	if s := find(secs, secGlobal); s != nil {
		defs, err := parseGlobals(s.Body)
		if err != nil {
			return nil, nil, err
		}
		for i, g := range defs {
			if !g.mutable {
				continue
			}
			if !numeric(g.typ) {
				return nil, nil, fmt.Errorf("%w: global %d is a mutable %s; only number globals can be captured", ErrUnsupported, imported+uint32(i), typeName(g.typ))
			}
			idx := imported + uint32(i)
			globals = append(globals, Global{Index: idx, Type: g.typ, Export: fmt.Sprintf("%s%d", GlobalExportPrefix, idx)})
		}
	}
	if len(globals) == 0 {
		return wasm, nil, nil
	}
	var exports []byte
	count := uint32(0)
	if s := find(secs, secExport); s != nil {
		r := &reader{B: s.Body}
		n, err := r.U32()
		if err != nil {
			return nil, nil, fmt.Errorf("export section: %w", err)
		}
		count = n
		exports = r.B[r.Pos:]
	}
	body := wasmbin.AppendU32(nil, count+uint32(len(globals)))
	body = append(body, exports...)
	for _, g := range globals {
		body = appendName(body, g.Export)
		body = append(body, 0x03) // global
		body = wasmbin.AppendU32(body, g.Index)
	}
	return assemble(wasm, secs, map[byte]*[]byte{secExport: &body}), globals, nil
}

// Apply returns wasm rewritten to start from snap (see the package
// comment). wasm is the original module, not the instrumented one.
func Apply(wasm []byte, snap Snapshot) ([]byte, error) {
	secs, err := wasmbin.Sections(wasm)
	if err != nil {
		return nil, err
	}
	imported, err := wasmbin.ImportedGlobals(secs)
	if err != nil {
		return nil, err
	}
	replace := map[byte]*[]byte{secStart: nil}

	if s := find(secs, secGlobal); s != nil {
		defs, err := parseGlobals(s.Body)
		if err != nil {
			return nil, err
		}
		body := wasmbin.AppendU32(nil, uint32(len(defs)))
		for i, g := range defs {
			body = append(body, g.typ, boolByte(g.mutable))
			bits, ok := snap.Globals[imported+uint32(i)]
			if !g.mutable || !ok {
				body = append(body, g.init...)
				continue
			}
			body = appendConst(body, g.typ, bits)
		}
		replace[secGlobal] = &body
	}

	s := find(secs, secMemory)
	if s == nil {
		return nil, fmt.Errorf("%w: module defines no memory", ErrUnsupported)
	}
	mem, err := resizeMemory(s.Body, snap.MemoryPages)
	if err != nil {
		return nil, err
	}
	replace[secMemory] = &mem

	if s := find(secs, secData); s != nil {
		data, err := emptyActiveSegments(s.Body, find(secs, secDataCount) != nil)
		if err != nil {
			return nil, err
		}
		replace[secData] = data
	}
	return assemble(wasm, secs, replace), nil
}

func numeric(t byte) bool {
	return t == typeI32 || t == typeI64 || t == typeF32 || t == typeF64
}

func typeName(t byte) string {
	switch t {
	case typeV128:
		return "v128"
	case 0x70:
		return "funcref"
	case 0x6F:
		return "externref"
	}
	return fmt.Sprintf("type 0x%02x", t)
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// appendConst appends a constant expression producing bits as type t.
func appendConst(b []byte, t byte, bits uint64) []byte {
	switch t {
	case typeI32:
		b = append(b, 0x41)
		b = wasmbin.AppendS64(b, int64(int32(uint32(bits))))
	case typeI64:
		b = append(b, 0x42)
		b = wasmbin.AppendS64(b, int64(bits))
	case typeF32:
		b = append(b, 0x43)
		b = binary.LittleEndian.AppendUint32(b, uint32(bits))
	case typeF64:
		b = append(b, 0x44)
		b = binary.LittleEndian.AppendUint64(b, bits)
	}
	return append(b, 0x0B)
}

// resizeMemory rewrites the memory section so memory 0 starts at pages.
func resizeMemory(body []byte, pages uint32) ([]byte, error) {
	r := &reader{B: body}
	n, err := r.U32()
	if err != nil || n != 1 {
		return nil, fmt.Errorf("%w: module must define exactly one memory (it defines %d)", ErrUnsupported, n)
	}
	flags, err := r.Byte()
	if err != nil {
		return nil, fmt.Errorf("memory section: %w", err)
	}
	if flags&^1 != 0 {
		return nil, fmt.Errorf("%w: shared or 64-bit memories are not supported", ErrUnsupported)
	}
	if _, err := r.U32(); err != nil {
		return nil, fmt.Errorf("memory section: %w", err)
	}
	out := append(wasmbin.AppendU32(nil, 1), flags)
	out = wasmbin.AppendU32(out, pages)
	if flags&1 != 0 {
		maxPages, err := r.U32()
		if err != nil {
			return nil, fmt.Errorf("memory section: %w", err)
		}
		if pages > maxPages {
			return nil, fmt.Errorf("memory grew to %d pages, above its declared maximum of %d", pages, maxPages)
		}
		out = wasmbin.AppendU32(out, maxPages)
	}
	return out, nil
}

// emptyActiveSegments returns the data section without the contents of its
// active segments: the snapshot's memory has them already. Without a data
// count section no instruction refers to a segment, so the section goes
// altogether (nil); otherwise each active segment becomes an empty passive
// one, which behaves as the dropped active segment it was, and passive
// segments are kept.
func emptyActiveSegments(body []byte, counted bool) (*[]byte, error) {
	r := &reader{B: body}
	n, err := r.U32()
	if err != nil {
		return nil, fmt.Errorf("data section: %w", err)
	}
	out := wasmbin.AppendU32(nil, n)
	for i := uint32(0); i < n; i++ {
		flag, err := r.U32()
		if err != nil {
			return nil, fmt.Errorf("data segment %d: %w", i, err)
		}
		switch flag {
		case 0, 2:
			if flag == 2 {
				if _, err := r.U32(); err != nil {
					return nil, fmt.Errorf("data segment %d: %w", i, err)
				}
			}
			if _, err := wasmbin.SingleConstExpr(r); err != nil {
				return nil, fmt.Errorf("data segment %d: %w", i, err)
			}
			if _, err := r.Vec(); err != nil {
				return nil, fmt.Errorf("data segment %d: %w", i, err)
			}
			out = append(out, 1, 0) // passive, empty
		case 1:
			start := r.Pos
			if _, err := r.Vec(); err != nil {
				return nil, fmt.Errorf("data segment %d: %w", i, err)
			}
			out = append(out, 1)
			out = append(out, r.B[start:r.Pos]...)
		default:
			return nil, fmt.Errorf("data segment %d: unknown kind %d", i, flag)
		}
	}
	if !counted {
		return nil, nil
	}
	return &out, nil
}

func appendName(b []byte, s string) []byte {
	b = wasmbin.AppendU32(b, uint32(len(s)))
	return append(b, s...)
}

// ExportsFunction reports whether wasm exports a function named name. It
// reads only the section headers and the export section.
func ExportsFunction(wasm []byte, name string) (bool, error) {
	secs, err := wasmbin.Sections(wasm)
	if err != nil {
		return false, err
	}
	s := find(secs, secExport)
	if s == nil {
		return false, nil
	}
	r := &reader{B: s.Body}
	n, err := r.U32()
	if err != nil {
		return false, fmt.Errorf("export section: %w", err)
	}
	for i := uint32(0); i < n; i++ {
		export, err := r.Vec()
		if err != nil {
			return false, fmt.Errorf("export %d: %w", i, err)
		}
		kind, err := r.Byte()
		if err != nil {
			return false, fmt.Errorf("export %d: %w", i, err)
		}
		if _, err := r.U32(); err != nil {
			return false, fmt.Errorf("export %d: %w", i, err)
		}
		if kind == 0x00 && string(export) == name {
			return true, nil
		}
	}
	return false, nil
}
