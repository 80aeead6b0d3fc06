package wasmscan

import (
	"fmt"
	"math"
)

func (s *scanner) code(r *reader) error {
	n, err := s.vector(r, 3, "MaxFunctions", s.l.MaxFunctions)
	if err != nil {
		return err
	}
	s.sum.Functions = n
	if n > 0 {
		if err := s.addWork(signatureWork(n, s.sum.Types)); err != nil {
			return err
		}
	}
	for i := 0; i < n; i++ {
		s.item, s.itemStart = i, r.pos
		size, ok := r.u32()
		if !ok || int64(size) > int64(r.remaining()) {
			return s.malformed(s.itemStart, "function body size is unreadable or larger than the rest of the code section")
		}
		if int64(size) > int64(s.l.MaxBodyBytes) {
			return s.over("MaxBodyBytes", s.l.MaxBodyBytes, uint64(size), s.itemStart)
		}
		s.sum.MaxBodyBytes = max(s.sum.MaxBodyBytes, int(size))
		body := reader{b: s.wasm, pos: r.pos, end: r.pos + int(size)}
		r.pos = body.end
		locals, err := s.locals(&body)
		if err != nil {
			return err
		}
		var self uint32 = 1<<32 - 1 // no such type
		if idx := s.sum.ImportedFunctions + i; idx < len(s.funcTypes) {
			self = s.funcTypes[idx]
		}
		if err := s.instructions(&body, self, locals); err != nil {
			return err
		}
	}
	return nil
}

// locals reads a function's local declarations, runs of a count (up to
// 2^32-1 each) and a type, and returns how many locals they declare. The
// sum cannot overflow a uint64: there are fewer runs than body bytes.
func (s *scanner) locals(r *reader) (uint64, error) {
	runs, ok := r.count(2)
	if !ok {
		return 0, s.malformed(s.itemStart, "local declarations are unreadable or larger than the function body")
	}
	var n uint64
	for j := 0; j < runs; j++ {
		count, ok := r.u32()
		if !ok {
			return 0, s.malformed(r.pos, "unreadable local count")
		}
		if err := s.valtype(r); err != nil {
			return 0, err
		}
		n += uint64(count)
	}
	if n > uint64(s.l.MaxLocalsPerFunction) {
		return 0, s.over("MaxLocalsPerFunction", s.l.MaxLocalsPerFunction, n, s.itemStart)
	}
	s.sum.MaxLocals = max(s.sum.MaxLocals, int(n))
	if s.sum.TotalLocals += int(n); s.sum.TotalLocals > s.l.MaxTotalLocals {
		return 0, s.over("MaxTotalLocals", s.l.MaxTotalLocals, uint64(s.sum.TotalLocals), s.itemStart)
	}
	return n, nil
}

// instructions walks a function's instructions, checks its nesting and
// compile work against the caps, and adds its work to the module's.
func (s *scanner) instructions(r *reader, self uint32, locals uint64) error {
	c, over, bad, problem := s.walk(r.b, r.pos, r.end, s.typeArity(self).results)
	s.sum.MaxNestingDepth = max(s.sum.MaxNestingDepth, c.deepest)
	if over >= 0 {
		return s.over("MaxNestingDepth", s.l.MaxNestingDepth, uint64(c.deepest), over)
	}
	if problem != "" {
		return s.malformed(bad, problem)
	}
	if c.growsUnbounded >= 0 {
		// A table without a maximum can grow to 2^32-1 elements, 32 GiB of
		// node memory outside the memory limit.
		e := s.over("MaxTableElements", s.l.MaxTableElements, 1<<32-1, c.growsUnbounded).(*LimitError)
		e.Where += fmt.Sprintf(" (table.grow on table %d, which declares no maximum)", c.grownTable)
		return e
	}
	variables := uint64(s.typeArity(self).params) + locals
	w := work(uint64(r.end-r.pos), c.blocks, variables, c.moves, c.reloads, uint64(s.sum.Globals))
	if w > uint64(s.l.MaxFunctionWork) {
		return s.over("MaxFunctionWork", s.l.MaxFunctionWork, w, s.itemStart)
	}
	s.sum.MaxFunctionWork = max(s.sum.MaxFunctionWork, int(w))
	return s.addWork(w)
}

// addWork adds w to the module's compile work and checks MaxModuleWork.
func (s *scanner) addWork(w uint64) error {
	if w > uint64(math.MaxInt-s.sum.ModuleWork) { // only with limits near MaxInt
		w = uint64(math.MaxInt - s.sum.ModuleWork)
	}
	if s.sum.ModuleWork += int(w); s.sum.ModuleWork > s.l.MaxModuleWork {
		return s.over("MaxModuleWork", s.l.MaxModuleWork, uint64(s.sum.ModuleWork), s.itemStart)
	}
	return nil
}

// Immediate kinds: what follows an opcode byte.
const (
	immInvalid = iota // not a WebAssembly 2.0 instruction
	immNone           // nothing
	immReturn         // return
	immU32            // one unsigned LEB128
	immBranch         // br and br_if: a label
	immCall           // call: a function index
	immU32x2          // two: call_indirect, and the align and offset of a memarg
	immI32            // i32.const
	immI64            // i64.const
	immF32            // 4 bytes
	immF64            // 8 bytes
	immBlock          // block type of block, loop and if
	immEnd            // end
	immBrTable        // br_table
	immSelectT        // select with a type vector
	immRefNull        // ref.null
	immMisc           // the 0xFC prefix and its sub-opcode
	immVector         // the 0xFD prefix and its sub-opcode
)

// opcodeImmediates maps each opcode byte to its immediate kind.
var opcodeImmediates = func() (t [256]uint8) {
	for _, op := range []byte{0x00, 0x01, 0x05, 0x1a, 0x1b, 0xd1} {
		t[op] = immNone // unreachable nop else drop select ref.is_null
	}
	t[0x0f] = immReturn
	for op := 0x45; op <= 0xc4; op++ {
		t[op] = immNone // numeric, including sign extension
	}
	for _, op := range []byte{0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x3f, 0x40, 0xd2} {
		t[op] = immU32 // local.* global.* table.get table.set memory.size memory.grow ref.func
	}
	t[0x0c], t[0x0d], t[0x10] = immBranch, immBranch, immCall
	t[0x11] = immU32x2 // call_indirect
	for op := 0x28; op <= 0x3e; op++ {
		t[op] = immU32x2 // loads and stores
	}
	t[0x02], t[0x03], t[0x04] = immBlock, immBlock, immBlock
	t[0x0b] = immEnd
	t[0x0e] = immBrTable
	t[0x1c] = immSelectT
	t[0x41], t[0x42], t[0x43], t[0x44] = immI32, immI64, immF32, immF64
	t[0xd0] = immRefNull
	t[0xfc] = immMisc
	t[0xfd] = immVector
	return t
}()

// codeCost is what walk measures of a function's code.
type codeCost struct {
	deepest int    // deepest nesting of blocks
	blocks  uint64 // basic blocks wazero creates, as counted by walk
	moves   uint64 // values passed by calls, branches and blocks
	reloads uint64 // mutable globals reloaded after calls

	growsUnbounded int    // offset of a table.grow on a table without a maximum, or -1
	grownTable     uint32 // that table
}

// walk scans the instructions in b[pos:end], which must end with the end
// of the function's body; results is the number of the function's results.
// It returns the cost of the code, the offset of the first block nested
// deeper than MaxNestingDepth (or -1) and, if the code cannot be parsed,
// the offset and a description of the problem. After the nesting cap is
// passed it goes on to the end of the function only to report the true
// depth.
//
// It counts the basic blocks wazero's compiler allocates for each
// instruction (one for block, two for loop and for br_if, whose edge is
// split, three for if and for the loops of memory.fill and table.fill, one
// per br_table label) and the values each instruction passes: a call's
// parameters and results, a branch's label arity, a block's parameters
// and results.
func (s *scanner) walk(b []byte, pos, end int, results int) (c codeCost, over, bad int, problem string) {
	labels := s.labels[:0]
	defer func() { s.labels = labels }()
	over, c.growsUnbounded = -1, -1
	for pos < end {
		start := pos
		op := b[pos]
		pos++
		switch opcodeImmediates[op] {
		case immNone:
		case immU32:
			pos = skipU32(b, pos, end)
			if op == 0x26 { // table.set
				s.sum.ChangesTables = true
			}
		case immReturn:
			c.moves += uint64(results)
		case immBranch:
			var l uint32
			l, pos = readU32(b, pos, end)
			c.moves += labelArity(labels, l)
			if op == 0x0d { // br_if
				c.blocks += 2
			}
		case immCall:
			var f uint32
			if f, pos = readU32(b, pos, end); int64(f) < int64(len(s.funcTypes)) {
				a := s.typeArity(s.funcTypes[f])
				c.moves += uint64(a.params + a.results)
			}
			c.reloads += uint64(s.mutableGlobals)
		case immU32x2:
			var x uint32
			x, pos = readU32(b, pos, end)
			pos = skipU32(b, pos, end)
			if op == 0x11 && pos >= 0 { // call_indirect
				a := s.typeArity(x)
				c.moves += uint64(a.params + a.results)
				c.reloads += uint64(s.mutableGlobals)
			}
		case immBlock:
			var a arity
			if a, pos = s.blockType(b, pos, end); pos < 0 {
				break
			}
			c.moves += uint64(a.params + a.results)
			switch op {
			case 0x02: // block
				c.blocks++
				labels = append(labels, uint32(a.results))
			case 0x03: // loop
				c.blocks += 2
				labels = append(labels, uint32(a.params))
			case 0x04: // if
				c.blocks += 3
				labels = append(labels, uint32(a.results))
			}
			if len(labels) > c.deepest {
				c.deepest = len(labels)
				if c.deepest > s.l.MaxNestingDepth && over < 0 {
					over = start
				}
			}
		case immEnd:
			if len(labels) == 0 {
				if pos != end {
					return c, over, start, "the function's final end comes before the end of its body"
				}
				return c, over, 0, ""
			}
			labels = labels[:len(labels)-1]
		case immI32:
			pos = skipSigned(b, pos, end, 32)
		case immI64:
			pos = skipSigned(b, pos, end, 64)
		case immF32:
			pos = skipBytes(pos, end, 4)
		case immF64:
			pos = skipBytes(pos, end, 8)
		case immBrTable:
			var n uint32
			n, pos = readU32(b, pos, end)
			for i := int64(0); pos >= 0 && i <= int64(n); i++ {
				var l uint32
				l, pos = readU32(b, pos, end)
				c.moves += labelArity(labels, l)
				c.blocks++
			}
		case immSelectT:
			pos = skipSelectType(b, pos, end)
		case immRefNull:
			pos = skipRefNullType(b, pos, end)
		case immMisc:
			var sub, x uint32
			sub, pos = readU32(b, pos, end)
			switch {
			case pos < 0:
			case sub <= 7: // trunc_sat
			case sub == 9 || sub == 11 || sub == 13 || sub == 15 || sub == 16 || sub == 17:
				// data.drop memory.fill elem.drop table.grow table.size table.fill
				x, pos = readU32(b, pos, end)
				switch sub {
				case 9:
					s.sum.DropsData = true
				case 13, 15, 17:
					s.sum.ChangesTables = true
				}
				if sub == 11 || sub == 17 { // compiled to loops
					c.blocks += 3
				}
				if sub == 15 && c.growsUnbounded < 0 && !s.tableBounded(x) {
					c.growsUnbounded, c.grownTable = start, x
				}
			case sub == 8 || sub == 10 || sub == 12 || sub == 14:
				// memory.init memory.copy table.init table.copy
				pos = skipU32(b, skipU32(b, pos, end), end)
				if sub == 12 || sub == 14 {
					s.sum.ChangesTables = true
				}
			default:
				pos = -1
			}
		case immVector:
			pos = skipVector(b, pos, end)
		default:
			return c, over, start, fmt.Sprintf("opcode %#x is not a WebAssembly 2.0 instruction (exceptions, tail calls, threads and GC are not enabled)", op)
		}
		if pos < 0 {
			return c, over, start, fmt.Sprintf("instruction %#x is cut short or has a malformed immediate", op)
		}
	}
	return c, over, end, "the function body does not finish with an end instruction"
}

// labelArity returns the number of values a branch to label l passes, or
// 0 for a label that does not exist (wazero refuses the module then).
// Label 0 is the innermost block; the function body's own label, one past
// the open blocks, is counted under return.
func labelArity(labels []uint32, l uint32) uint64 {
	if int64(l) < int64(len(labels)) {
		return uint64(labels[len(labels)-1-int(l)])
	}
	return 0
}

// blockType reads the block type of block, loop or if and returns its
// arity: nothing, one value type, or a type index. Like wazero, it reads a
// heap type after the typed reference prefixes 0x63 and 0x64 (-29, -28).
func (s *scanner) blockType(b []byte, pos, end int) (arity, int) {
	if pos < end && b[pos] == 0x40 {
		return arity{}, pos + 1
	}
	r := reader{b: b, pos: pos, end: end}
	v, ok := r.signed(33)
	switch {
	case !ok:
		return arity{}, -1
	case v >= 0:
		return s.typeArity(uint32(v)), r.pos
	case v == -29 || v == -28:
		if _, ok = r.signed(33); !ok {
			return arity{}, -1
		}
	}
	return arity{results: 1}, r.pos
}

// The skip functions return the offset after an immediate that starts at
// pos, or -1 if it is malformed or runs past end. They accept pos == -1
// and return -1 then, so calls can be chained.

// readU32 reads an unsigned LEB128 32-bit integer.
func readU32(b []byte, pos, end int) (uint32, int) {
	if pos >= 0 && pos < end && b[pos] < 0x80 {
		return uint32(b[pos]), pos + 1
	}
	if pos < 0 {
		return 0, -1
	}
	r := reader{b: b, pos: pos, end: end}
	v, ok := r.u32()
	if !ok {
		return 0, -1
	}
	return v, r.pos
}

// skipU32 skips an unsigned LEB128 32-bit integer.
func skipU32(b []byte, pos, end int) int {
	if pos >= 0 && pos < end && b[pos] < 0x80 {
		return pos + 1
	}
	return skipU32Slow(b, pos, end)
}

func skipU32Slow(b []byte, pos, end int) int {
	if pos < 0 {
		return -1
	}
	r := reader{b: b, pos: pos, end: end}
	if _, ok := r.u32(); !ok {
		return -1
	}
	return r.pos
}

// skipSigned skips a signed LEB128 integer of the given width.
func skipSigned(b []byte, pos, end int, bits uint) int {
	if pos >= 0 && pos < end && b[pos] < 0x80 {
		return pos + 1
	}
	if pos < 0 {
		return -1
	}
	r := reader{b: b, pos: pos, end: end}
	if _, ok := r.signed(bits); !ok {
		return -1
	}
	return r.pos
}

func skipBytes(pos, end, n int) int {
	if pos < 0 || end-pos < n {
		return -1
	}
	return pos + n
}

// skipSelectType skips the type vector of a typed select. wazero requires
// it to hold exactly one type, with its length as a single byte.
func skipSelectType(b []byte, pos, end int) int {
	if pos >= end || b[pos] != 1 {
		return -1
	}
	r := reader{b: b, pos: pos + 1, end: end}
	t, ok := r.byte()
	if ok && (t == 0x63 || t == 0x64) {
		_, ok = r.signed(33)
	}
	if !ok {
		return -1
	}
	return r.pos
}

// skipRefNullType skips the type of ref.null.
func skipRefNullType(b []byte, pos, end int) int {
	r := reader{b: b, pos: pos, end: end}
	if !refNullType(&r) {
		return -1
	}
	return r.pos
}

// skipVector skips a 0xFD-prefixed SIMD instruction. wazero reads the
// sub-opcode as one byte, not as the LEB128 the specification gives; for
// sub-opcodes above 127 the second byte of their encoding (always 0x01)
// then reads as a nop. Scan reads it the same way to stay in step with
// wazero. Sub-opcodes wazero does not know take no immediate here and
// fail its validation.
func skipVector(b []byte, pos, end int) int {
	if pos >= end {
		return -1
	}
	sub := b[pos]
	pos++
	switch {
	case sub <= 0x0b || sub == 0x5c || sub == 0x5d: // loads and stores: memarg
		return skipU32(b, skipU32(b, pos, end), end)
	case sub >= 0x54 && sub <= 0x5b: // load and store lane: memarg, lane
		return skipBytes(skipU32(b, skipU32(b, pos, end), end), end, 1)
	case sub == 0x0c || sub == 0x0d: // v128.const, i8x16.shuffle
		return skipBytes(pos, end, 16)
	case sub >= 0x15 && sub <= 0x22: // extract and replace lane
		return skipBytes(pos, end, 1)
	}
	return pos
}
