package wasmscan

import (
	"bytes"
	"fmt"
)

// Summary describes a module Scan accepted.
type Summary struct {
	// Types is the number of function types.
	Types int
	// Imports counts imports of every kind; ImportedFunctions those of
	// functions.
	Imports           int
	ImportedFunctions int
	// Functions is the number of functions the module defines.
	Functions int
	// Tables and Globals count imported and defined ones.
	Tables  int
	Globals int
	// Memories counts imported and defined memories (WebAssembly 2.0
	// allows at most one; wazero refuses more). MemoryMinPages is the
	// first memory's declared minimum in 64 KiB pages, MemoryMaxPages its
	// maximum when HasMemoryMax.
	Memories       int
	MemoryMinPages uint32
	MemoryMaxPages uint32
	HasMemoryMax   bool
	// Exports is the number of exports.
	Exports int
	// HasStartSection reports a start section: a function wazero runs on
	// every instantiation, before _start.
	HasStartSection bool
	// ElementSegments and ElementItems count element segments and the
	// items they hold together.
	ElementSegments int
	ElementItems    int
	// DataSegments and DataBytes count data segments and the bytes they
	// hold together.
	DataSegments int
	DataBytes    int
	// ChangesTables reports code that can change a table after
	// instantiation (table.set, table.grow, table.fill, table.copy,
	// table.init or elem.drop); DropsData code that drops a data segment
	// (data.drop). A module with neither keeps its tables and passive data
	// segments as instantiation made them, whatever its code runs: the
	// engine reuses such a module's instances (see
	// internal/engine/reuse.go).
	ChangesTables bool
	DropsData     bool
	// CustomSectionBytes is the size of all custom sections together, and
	// Names the entries of the "name" section (function and local names).
	CustomSectionBytes int
	Names              int
	// The largest values of the per-function caps over all functions,
	// and the locals of all functions together.
	MaxBodyBytes    int
	MaxLocals       int
	MaxNestingDepth int
	MaxFunctionWork int
	TotalLocals     int
	ModuleWork      int
}

// Section ids of the binary format.
const (
	sectionCustom    = 0
	sectionType      = 1
	sectionImport    = 2
	sectionFunction  = 3
	sectionTable     = 4
	sectionMemory    = 5
	sectionGlobal    = 6
	sectionExport    = 7
	sectionStart     = 8
	sectionElement   = 9
	sectionCode      = 10
	sectionData      = 11
	sectionDataCount = 12
)

var sectionNames = [...]string{"custom", "type", "import", "function", "table", "memory", "global", "export", "start", "element", "code", "data", "data count"}

// Scan walks a WebAssembly 2.0 binary module and checks it against l
// (zero fields take their DefaultLimits value). It returns a *LimitError
// matching ErrLimit for the first cap exceeded, and an error matching
// ErrMalformed for bytes it cannot parse. A nil error means the module's
// declared sizes are within every cap; it does not mean the module is
// valid: wazero still validates types, indices and instructions.
//
// Scan reads each byte once (once more to name a function in an error)
// and never panics. It allocates only small tables: a few bytes per type,
// function and table and per level of block nesting. It is safe for
// concurrent use; wasm is only read.
func Scan(wasm []byte, l Limits) (Summary, error) {
	s := scanner{wasm: wasm, l: l.withDefaults(), item: -1}
	err := s.module()
	if err != nil {
		return Summary{}, err
	}
	return s.sum, nil
}

// scanner holds the state of one Scan.
type scanner struct {
	wasm []byte
	l    Limits
	sum  Summary

	section   byte // id of the section being read
	item      int  // index of the entry being read in its section, -1 if none
	itemStart int  // offset of that entry

	funcDecls int  // entries of the function section
	sawName   bool // a "name" custom section was read

	arities   []arity  // of each type in the type section
	funcTypes []uint32 // type index of each function, imports first
	labels    []uint32 // arity of each open block while walking code

	tableHasMax    []bool // of each table, imports first
	mutableGlobals int    // imported and defined
}

// tableBounded reports whether table x declares a maximum size (which
// Scan has checked against MaxTableElements).
func (s *scanner) tableBounded(x uint32) bool {
	return int64(x) < int64(len(s.tableHasMax)) && s.tableHasMax[x]
}

// arity is the number of parameters and results of a function type.
type arity struct{ params, results int }

// typeArity returns the arity of type index t, or zeros if there is no
// such type (wazero refuses the module then).
func (s *scanner) typeArity(t uint32) arity {
	if int64(t) < int64(len(s.arities)) {
		return s.arities[t]
	}
	return arity{}
}

var (
	magic   = []byte("\x00asm")
	version = []byte{1, 0, 0, 0}
)

func (s *scanner) module() error {
	if len(s.wasm) > s.l.MaxModuleBytes {
		return &LimitError{Limit: "MaxModuleBytes", Max: uint64(s.l.MaxModuleBytes), Actual: uint64(len(s.wasm)), Where: "module"}
	}
	if len(s.wasm) < 8 || !bytes.Equal(s.wasm[:4], magic) {
		return &malformedError{where: "module", problem: `it does not start with "\0asm", so it is not a WebAssembly binary: upload the compiled .wasm file, not source code or .wat text`}
	}
	if !bytes.Equal(s.wasm[4:8], version) {
		problem := "binary format version is not 1: Wisp runs core WebAssembly modules built for wasm32-wasi / wasip1"
		if s.wasm[6] != 0 {
			problem = "this is a WebAssembly component, not a core module: build for wasm32-wasip1 (preview 1), not wasip2"
		}
		return &malformedError{where: "module", offset: 4, problem: problem}
	}

	r := reader{b: s.wasm, pos: 8, end: len(s.wasm)}
	var last byte // id of the last non-custom section
	for r.remaining() > 0 {
		start := r.pos
		id, _ := r.byte()
		if id > sectionDataCount {
			return &malformedError{where: "module", offset: start, problem: fmt.Sprintf("unknown section id %d (WebAssembly 2.0 has sections 0 to 12)", id)}
		}
		s.section, s.item = id, -1
		size, ok := r.u32()
		if !ok {
			return s.malformed(start, "unreadable section size")
		}
		if int(size) > r.remaining() {
			return s.malformed(start, fmt.Sprintf("section declares %d bytes but only %d remain; the file is truncated", size, r.remaining()))
		}
		if id != sectionCustom {
			if !inOrder(last, id) {
				return s.malformed(start, fmt.Sprintf("%s section after the %s section: sections are out of order or repeated", sectionNames[id], sectionNames[last]))
			}
			last = id
		}
		sec := reader{b: s.wasm, pos: r.pos, end: r.pos + int(size)}
		if err := s.readSection(id, &sec); err != nil {
			return err
		}
		if sec.pos != sec.end {
			s.item = -1
			return s.malformed(sec.pos, fmt.Sprintf("%d bytes left over at the end of the section", sec.end-sec.pos))
		}
		r.pos = sec.end
	}
	if s.funcDecls != s.sum.Functions {
		s.section, s.item = sectionCode, -1
		return s.malformed(len(s.wasm), fmt.Sprintf("the function section declares %d functions but the code section has %d bodies", s.funcDecls, s.sum.Functions))
	}
	return nil
}

// inOrder reports whether a section with id may follow one with id last
// (data count sits between element and code).
func inOrder(last, id byte) bool {
	order := func(id byte) int {
		switch {
		case id == sectionDataCount:
			return int(sectionElement)*2 + 1
		default:
			return int(id) * 2
		}
	}
	return order(id) > order(last)
}

func (s *scanner) readSection(id byte, r *reader) error {
	switch id {
	case sectionCustom:
		return s.custom(r)
	case sectionType:
		return s.typeSection(r)
	case sectionImport:
		return s.imports(r)
	case sectionFunction:
		return s.functions(r)
	case sectionTable:
		return s.tables(r)
	case sectionMemory:
		return s.memories(r)
	case sectionGlobal:
		return s.globals(r)
	case sectionExport:
		return s.exports(r)
	case sectionStart:
		if _, ok := r.u32(); !ok {
			return s.malformed(r.pos, "unreadable start function index")
		}
		s.sum.HasStartSection = true
		return nil
	case sectionElement:
		return s.elements(r)
	case sectionCode:
		return s.code(r)
	case sectionData:
		return s.data(r)
	case sectionDataCount:
		if _, ok := r.u32(); !ok {
			return s.malformed(r.pos, "unreadable data count")
		}
		return nil
	}
	panic("unreachable")
}

// where names the section and entry being read, for errors.
func (s *scanner) where() string {
	name := sectionNames[s.section] + " section"
	switch {
	case s.item < 0:
		return name
	case s.section == sectionCode:
		idx := s.sum.ImportedFunctions + s.item
		if fn := functionName(s.wasm, idx); fn != "" {
			return fmt.Sprintf("function %d (%s)", idx, fn)
		}
		return fmt.Sprintf("function %d", idx)
	case s.section == sectionType:
		return fmt.Sprintf("type %d", s.item)
	case s.section == sectionImport:
		return fmt.Sprintf("import %d", s.item)
	case s.section == sectionExport:
		return fmt.Sprintf("export %d", s.item)
	case s.section == sectionElement:
		return fmt.Sprintf("element segment %d", s.item)
	case s.section == sectionData:
		return fmt.Sprintf("data segment %d", s.item)
	}
	return fmt.Sprintf("%s entry %d", name, s.item)
}

func (s *scanner) malformed(offset int, problem string) error {
	return &malformedError{where: s.where(), offset: offset, problem: problem}
}

func (s *scanner) truncated(r *reader) error {
	return s.malformed(r.pos, "unexpected end of the "+sectionNames[s.section]+" section")
}

// over reports that value exceeds the cap named limit of size max.
func (s *scanner) over(limit string, max int, value uint64, offset int) error {
	return &LimitError{Limit: limit, Max: uint64(max), Actual: value, Where: s.where(), Offset: offset}
}

// vector reads a vector length, checked against the remaining bytes (each
// element takes at least minSize) and against the cap named limit.
func (s *scanner) vector(r *reader, minSize int, limit string, max int) (int, error) {
	start := r.pos
	n, ok := r.count(minSize)
	if !ok {
		return 0, s.malformed(start, "vector length is unreadable or larger than the rest of the section")
	}
	if n > max {
		return 0, s.over(limit, max, uint64(n), start)
	}
	return n, nil
}
