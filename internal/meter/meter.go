// Package meter rewrites a WebAssembly module so that its instances count
// the work they do, in fuel, and call into the host when the fuel they were
// given runs out: CPU metering by instrumentation, done once at deploy,
// with no support needed from the runtime.
//
// Instrument adds to a module:
//
//   - a mutable i64 global, the fuel counter, exported as FuelExport;
//   - an imported function ImportModule.ImportName of type [] -> [], the
//     refuel call;
//   - at the start of every region (below), a charge: the counter is
//     decreased by the cost of the region; at a function's entry and at
//     the start of a loop body (the target of its back-edges), when the
//     counter has dropped below zero the refuel function is called;
//   - before each bulk memory and table instruction (memory.fill,
//     memory.copy, memory.init, table.fill, table.copy, table.init), a
//     charge of the size operand: one fuel per MemoryBytesPerFuel bytes of
//     memory, TableElementFuel per table element.
//
// Regions start at a function's entry, at the start of a loop body, of
// each arm of an if, and after the end of a block (where a branch out of
// the block lands: the cases of a switch). A region runs until the next
// one starts, nested loops, ifs and the blocks after which a region
// starts aside. Its cost is the sum of its instructions' weights: 0 for
// those that compile to no machine work or a register move (local.get,
// local.set, local.tee, constants, block, loop, else, end, drop, nop),
// CallCost for call and call_indirect, BranchCost for br, br_if and
// br_table, 1 for any other, plus
// HostCallCost for each call to an imported function, counted statically:
// code after a branch out of the region is charged even when the branch is
// taken. Every instruction a guest executes belongs to exactly one region,
// and a region runs at most once between two charges of it, so the fuel
// charged bounds the weighted instructions executed from above (a loop
// iteration costs at least its branch back, BranchCost). It depends only on
// the path the guest takes through its code: the same call with the same
// input uses the same fuel on every machine, run and node.
//
// A loop without parameters is wrapped so that its refuel call is outside
// it (see wrapOpen): inside, the check only branches out, and the wrapper
// calls refuel and enters the loop again.
//
// Only function entries and loop bodies check the counter: between two
// checks a guest runs straight-line code, calls (which check on entry) and
// bulk operations (which check their own charge), so it cannot run long
// without passing a check. The other regions only subtract, which costs
// four instructions instead of nine.
//
// The counter starts at zero, so an instance calls refuel at its first
// function entry. The host gives fuel by setting the counter, and stops
// the instance by failing the call. Fuel used is what the host gave minus
// what is left in the counter.
//
// The functions here do not validate modules: they expect modules wazero
// will accept, and return an error rather than panic on anything they
// cannot read. A module the rewriter cannot read must not run unmetered.
// They do check every index that could name what they add: a global index
// past the module's globals (the fuel counter), a type index past its
// types (the refuel type) and a function index past its functions are
// errors, so that an invalid module never becomes a valid one that reads
// or sets its own fuel.
package meter

import (
	"errors"
	"fmt"
	"strings"

	"github.com/wisphq/wisp/internal/wasmbin"
)

// Names Instrument adds to a module.
const (
	ImportModule = "wisp:meter" // the module of the refuel import
	ImportName   = "refuel"     // the refuel import: type [] -> []
	FuelExport   = "wisp.meter.fuel"
)

// Costs, in fuel.
const (
	// HostCallCost is charged for each call to an imported function (a
	// host function) on top of the call instruction itself, for the work
	// the host does.
	HostCallCost = 400
	// MemoryBytesPerFuel is how many bytes of memory.fill, memory.copy and
	// memory.init one fuel pays for.
	MemoryBytesPerFuel = 4
	memoryShift        = 2 // log2(MemoryBytesPerFuel)
	// TableElementFuel is the fuel of each element table.fill, table.copy
	// and table.init write.
	TableElementFuel = 2
	tableShift       = 1 // log2(TableElementFuel)
)

// ErrReserved is matched by errors for modules that already use the names
// Instrument adds: an import from ImportModule, or an import or export
// named FuelExport (in a component, an import of another module's fuel
// counter).
var ErrReserved = errors.New("module uses a name reserved for metering")

// Section ids.
const (
	secCustom   = 0
	secType     = 1
	secImport   = 2
	secFunction = 3
	secGlobal   = 6
	secExport   = 7
	secStart    = 8
	secElement  = 9
	secCode     = 10
)

// module is what Instrument learns of a module before it rewrites code.
type module struct {
	typeParams  []uint32 // parameter count of each type
	funcTypes   []uint32 // type index of each defined function
	funcImports uint32   // imported functions: the refuel import's index
	globals     uint32   // imported and defined globals: the counter's index
	refuelType  uint32
	named       bool // the function names subsection has been written
}

// shift renumbers a function index for the added import, which comes after
// the module's own imports.
func (m *module) shift(i uint32) uint32 {
	if i >= m.funcImports {
		return i + 1
	}
	return i
}

// fn renumbers a function index the module uses, for the added import.
// An index past the module's functions is an error: shifted, it would
// name a function of the rewritten module (the last index, the module's
// last function or, unshifted, the refuel import) and an invalid module
// would become a valid one.
func (m *module) fn(i uint32) (uint32, error) {
	if n := m.funcImports + uint32(len(m.funcTypes)); i >= n {
		return 0, fmt.Errorf("function index %d out of range (%d functions)", i, n)
	}
	return m.shift(i), nil
}

// global checks a global index the module uses: one past its globals
// would be the added fuel counter, which a guest must not read or write.
// limit is the number of globals in scope (the imported ones in a global
// initializer).
func checkGlobal(i, limit uint32) error {
	if i >= limit {
		return fmt.Errorf("global index %d out of range (%d globals)", i, limit)
	}
	return nil
}

// Instrument returns wasm rewritten to meter its execution (see the package
// documentation). Errors: ErrReserved, or a description of what it could
// not read in wasm.
func Instrument(wasm []byte) ([]byte, error) {
	secs, err := wasmbin.Sections(wasm)
	if err != nil {
		return nil, err
	}
	m := &module{}
	bodies := map[byte][]byte{}
	byID := map[byte][]byte{}
	for _, s := range secs {
		if s.ID != secCustom {
			if _, dup := byID[s.ID]; dup {
				return nil, fmt.Errorf("section %d appears twice", s.ID)
			}
			byID[s.ID] = s.Body
		}
	}
	// The type section first: the refuel import needs its type.
	if bodies[secType], err = m.types(byID[secType]); err != nil {
		return nil, fmt.Errorf("type section: %w", err)
	}
	if bodies[secImport], err = m.imports(byID[secImport]); err != nil {
		return nil, fmt.Errorf("import section: %w", err)
	}
	if err := m.functions(byID[secFunction]); err != nil {
		return nil, fmt.Errorf("function section: %w", err)
	}
	if bodies[secGlobal], err = m.globalSection(byID[secGlobal]); err != nil {
		return nil, fmt.Errorf("global section: %w", err)
	}
	if bodies[secExport], err = m.exports(byID[secExport]); err != nil {
		return nil, fmt.Errorf("export section: %w", err)
	}
	if b, ok := byID[secStart]; ok {
		r := &reader{B: b}
		f, err := r.U32()
		if err != nil || !r.Done() {
			return nil, errors.New("start section: malformed")
		}
		if f, err = m.fn(f); err != nil {
			return nil, fmt.Errorf("start section: %w", err)
		}
		bodies[secStart] = wasmbin.AppendU32(nil, f)
	}
	if b, ok := byID[secElement]; ok {
		if bodies[secElement], err = m.elements(b); err != nil {
			return nil, fmt.Errorf("element section: %w", err)
		}
	}
	if b, ok := byID[secCode]; ok {
		if bodies[secCode], err = m.code(b); err != nil {
			return nil, fmt.Errorf("code section: %w", err)
		}
	}
	return m.assemble(wasm, secs, bodies), nil
}

// order is a section's place in a module (custom sections aside).
func order(id byte) int {
	switch id {
	case 12: // data count
		return 95 // between element (9) and code (10)
	case 13: // tag
		return 55 // between memory (5) and global (6)
	}
	return int(id) * 10
}

// assemble writes wasm's sections with the bodies replaced, adding the
// sections in bodies the module lacks in their place.
func (m *module) assemble(wasm []byte, secs []section, bodies map[byte][]byte) []byte {
	out := make([]byte, 0, len(wasm)+len(wasm)/8+256)
	out = append(out, wasmbin.Magic...)
	written := map[byte]bool{}
	emit := func(id byte) {
		written[id] = true
		out = append(out, id)
		out = wasmbin.AppendVec(out, bodies[id])
	}
	// pending emits the added sections that come before a section at place.
	pending := func(place int) {
		for _, id := range []byte{secType, secImport, secGlobal, secExport} {
			if !written[id] && order(id) < place {
				emit(id)
			}
		}
	}
	last := -1 // the last section that is not a custom one
	for i, s := range secs {
		if s.ID != secCustom {
			last = i
		}
	}
	for i, s := range secs {
		if s.ID == secCustom {
			if i > last { // trailing custom sections stay at the end
				pending(1 << 30)
			}
			custom, keep := m.custom(s.Body)
			switch {
			case !keep:
			case custom != nil:
				out = append(out, secCustom)
				out = wasmbin.AppendVec(out, custom)
			default:
				out = append(out, wasm[s.Start:s.End]...)
			}
			continue
		}
		pending(order(s.ID))
		if _, ok := bodies[s.ID]; ok {
			emit(s.ID)
			continue
		}
		out = append(out, wasm[s.Start:s.End]...)
	}
	pending(1 << 30)
	if !m.named && m.funcImports+uint32(len(m.funcTypes)) > 0 {
		names := wasmbin.AppendVec(nil, []byte("name"))
		names = append(names, 1)
		names = wasmbin.AppendVec(names, m.functionNames(nil))
		out = append(out, secCustom)
		out = wasmbin.AppendVec(out, names)
	}
	return out
}

// custom returns how a custom section is rewritten: kept as it is (nil,
// true), replaced (body, true) or dropped (false). The name section's
// function indices are renumbered (dropped if it cannot be read: it is
// only for stack traces); DWARF sections are dropped, since the rewrite
// moves the code offsets they describe.
func (m *module) custom(body []byte) ([]byte, bool) {
	r := &reader{B: body}
	name, err := r.Vec()
	if err != nil {
		return nil, true
	}
	switch {
	case strings.HasPrefix(string(name), ".debug_"):
		return nil, false
	case string(name) != "name":
		return nil, true
	}
	out := wasmbin.AppendVec(nil, name)
	for !r.Done() {
		id, err := r.Byte()
		if err != nil {
			return nil, false
		}
		sub, err := r.Vec()
		if err != nil {
			return nil, false
		}
		if id > 1 && !m.named {
			out = append(out, 1)
			out = wasmbin.AppendVec(out, m.functionNames(nil))
		}
		switch id {
		case 1: // function names
			names, err := readNameMap(sub)
			if err != nil {
				return nil, false
			}
			sub = m.functionNames(names)
		case 2, 3: // local and label names
			if sub, err = m.nameMap(sub, true); err != nil {
				return nil, false
			}
		}
		out = append(out, id)
		out = wasmbin.AppendVec(out, sub)
	}
	if !m.named {
		out = append(out, 1)
		out = wasmbin.AppendVec(out, m.functionNames(nil))
	}
	return out, true
}

// functionNames returns the function names subsection of the rewritten
// module, given the module's own names by function index (nil if it has
// none). Every function of the module is named, those without a name by
// their index before the rewrite ("$7"): wazero names an unnamed function
// in a stack trace by its index, and the added import would otherwise
// shift every index a user sees in a trap by one from the module they
// built.
func (m *module) functionNames(names map[uint32][]byte) []byte {
	m.named = true
	total := m.funcImports + uint32(len(m.funcTypes))
	out := wasmbin.AppendU32(nil, total)
	for f := uint32(0); f < total; f++ {
		name, ok := names[f]
		if !ok {
			name = fmt.Appendf(nil, "$%d", f)
		}
		out = wasmbin.AppendU32(out, m.shift(f)) // shift keeps the order: the map stays sorted
		out = wasmbin.AppendVec(out, name)
	}
	return out
}

// readNameMap reads a name map: names by index.
func readNameMap(b []byte) (map[uint32][]byte, error) {
	r := &reader{B: b}
	n, err := r.U32()
	if err != nil {
		return nil, err
	}
	names := make(map[uint32][]byte, n)
	for i := uint32(0); i < n; i++ {
		f, err := r.U32()
		if err != nil {
			return nil, err
		}
		name, err := r.Vec()
		if err != nil {
			return nil, err
		}
		names[f] = name
	}
	if !r.Done() {
		return nil, errors.New("bytes after the name map")
	}
	return names, nil
}

// nameMap renumbers the function indices of a name map, or of an indirect
// name map (whose values are name maps).
func (m *module) nameMap(b []byte, indirect bool) ([]byte, error) {
	r := &reader{B: b}
	n, err := r.U32()
	if err != nil {
		return nil, err
	}
	out := wasmbin.AppendU32(nil, n)
	for i := uint32(0); i < n; i++ {
		f, err := r.U32()
		if err != nil {
			return nil, err
		}
		out = wasmbin.AppendU32(out, m.shift(f))
		start := r.Pos
		if indirect {
			k, err := r.U32()
			if err != nil {
				return nil, err
			}
			for j := uint32(0); j < k; j++ {
				if _, err := r.U32(); err != nil {
					return nil, err
				}
				if _, err := r.Vec(); err != nil {
					return nil, err
				}
			}
		} else if _, err := r.Vec(); err != nil {
			return nil, err
		}
		out = append(out, r.B[start:r.Pos]...)
	}
	if !r.Done() {
		return nil, errors.New("bytes after the name map")
	}
	return out, nil
}
