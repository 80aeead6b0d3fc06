package wasmscan

import "fmt"

// This file reads every section but the code section. Each reader mirrors
// what wazero's decoder accepts for a WebAssembly 2.0 module, so that the
// two agree on where every entry starts and ends. Where wazero accepts
// more (encodings of later proposals), Scan refuses: those modules fail
// wazero's validation with CoreFeaturesV2 anyway.

func (s *scanner) typeSection(r *reader) error {
	n, err := s.vector(r, 3, "MaxTypes", s.l.MaxTypes)
	if err != nil {
		return err
	}
	s.sum.Types = n
	s.arities = make([]arity, n)
	for i := 0; i < n; i++ {
		s.item, s.itemStart = i, r.pos
		form, ok := r.byte()
		if !ok {
			return s.truncated(r)
		}
		if form != 0x60 {
			return s.malformed(s.itemStart, fmt.Sprintf("type form %#x is not a function type (0x60); recursive and struct types need the GC proposal, which Wisp does not enable", form))
		}
		if s.arities[i].params, err = s.valtypes(r, "MaxParamsPerType", s.l.MaxParamsPerType); err != nil {
			return err
		}
		if s.arities[i].results, err = s.valtypes(r, "MaxResultsPerType", s.l.MaxResultsPerType); err != nil {
			return err
		}
		if err := s.addWork(typeWork(s.arities[i].params, s.arities[i].results)); err != nil {
			return err
		}
	}
	return nil
}

// valtypes reads the parameter or result types of a function type and
// returns how many there are.
func (s *scanner) valtypes(r *reader, limit string, max int) (int, error) {
	n, err := s.vector(r, 1, limit, max)
	if err != nil {
		return 0, err
	}
	for i := 0; i < n; i++ {
		if err := s.valtype(r); err != nil {
			return 0, err
		}
	}
	return n, nil
}

func (s *scanner) imports(r *reader) error {
	n, err := s.vector(r, 4, "MaxImports", s.l.MaxImports)
	if err != nil {
		return err
	}
	s.sum.Imports = n
	if err := s.addWork(uint64(n) * workPerImport); err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		s.item, s.itemStart = i, r.pos
		if !r.name() || !r.name() {
			return s.malformed(s.itemStart, "import name runs past the end of the section")
		}
		kind, ok := r.byte()
		if !ok {
			return s.truncated(r)
		}
		switch kind {
		case 0: // function
			t, ok := r.u32()
			if !ok {
				return s.truncated(r)
			}
			s.funcTypes = append(s.funcTypes, t)
			s.sum.ImportedFunctions++
		case 1:
			if err := s.table(r); err != nil {
				return err
			}
		case 2:
			if err := s.memory(r); err != nil {
				return err
			}
		case 3:
			if err := s.valtype(r); err != nil {
				return err
			}
			if err := s.mutability(r); err != nil {
				return err
			}
			if err := s.addGlobal(); err != nil {
				return err
			}
		default:
			return s.malformed(r.pos-1, fmt.Sprintf("import kind %#x is not a function, table, memory or global", kind))
		}
	}
	return nil
}

func (s *scanner) functions(r *reader) error {
	n, err := s.vector(r, 1, "MaxFunctions", s.l.MaxFunctions)
	if err != nil {
		return err
	}
	s.funcDecls = n
	for i := 0; i < n; i++ {
		t, ok := r.u32()
		if !ok {
			return s.truncated(r)
		}
		s.funcTypes = append(s.funcTypes, t)
	}
	return nil
}

func (s *scanner) tables(r *reader) error {
	start := r.pos
	n, ok := r.count(3)
	if !ok {
		return s.malformed(start, "table count is unreadable or larger than the section")
	}
	if s.sum.Tables+n > s.l.MaxTables {
		return s.over("MaxTables", s.l.MaxTables, uint64(s.sum.Tables+n), start)
	}
	for i := 0; i < n; i++ {
		s.item, s.itemStart = i, r.pos
		if err := s.table(r); err != nil {
			return err
		}
	}
	return nil
}

// table reads a table type, imported or defined, and counts it.
func (s *scanner) table(r *reader) error {
	start := r.pos
	if s.sum.Tables++; s.sum.Tables > s.l.MaxTables {
		return s.over("MaxTables", s.l.MaxTables, uint64(s.sum.Tables), start)
	}
	if r.remaining() > 0 && r.b[r.pos] == 0x40 {
		return s.malformed(start, "tables with initializer expressions need the function-references proposal, which Wisp does not enable")
	}
	if err := s.valtype(r); err != nil {
		return err
	}
	min, max, hasMax, err := s.limits(r)
	if err != nil {
		return err
	}
	if int64(min) > int64(s.l.MaxTableElements) {
		return s.over("MaxTableElements", s.l.MaxTableElements, uint64(min), start)
	}
	if hasMax && int64(max) > int64(s.l.MaxTableElements) {
		return s.over("MaxTableElements", s.l.MaxTableElements, uint64(max), start)
	}
	s.tableHasMax = append(s.tableHasMax, hasMax)
	return nil
}

func (s *scanner) memories(r *reader) error {
	start := r.pos
	n, ok := r.count(2)
	if !ok {
		return s.malformed(start, "memory count is unreadable or larger than the section")
	}
	for i := 0; i < n; i++ {
		s.item, s.itemStart = i, r.pos
		if err := s.memory(r); err != nil {
			return err
		}
	}
	return nil
}

// memory reads a memory type, imported or defined, and records the first.
func (s *scanner) memory(r *reader) error {
	min, max, hasMax, err := s.limits(r)
	if err != nil {
		return err
	}
	if s.sum.Memories == 0 {
		s.sum.MemoryMinPages, s.sum.MemoryMaxPages, s.sum.HasMemoryMax = min, max, hasMax
	}
	s.sum.Memories++
	return nil
}

// limits reads the limits of a table or memory type. Shared memories
// (flags 2 and 3) need the threads proposal and 64-bit ones (4 to 7)
// memory64; Wisp enables neither.
func (s *scanner) limits(r *reader) (min, max uint32, hasMax bool, err error) {
	start := r.pos
	flags, ok := r.byte()
	if !ok {
		return 0, 0, false, s.truncated(r)
	}
	if flags > 1 {
		return 0, 0, false, s.malformed(start, fmt.Sprintf("limits flags %#x: shared and 64-bit memories and tables need proposals Wisp does not enable", flags))
	}
	if min, ok = r.u32(); !ok {
		return 0, 0, false, s.malformed(start, "unreadable minimum size")
	}
	if flags == 1 {
		if max, ok = r.u32(); !ok {
			return 0, 0, false, s.malformed(start, "unreadable maximum size")
		}
	}
	return min, max, flags == 1, nil
}

func (s *scanner) globals(r *reader) error {
	start := r.pos
	n, ok := r.count(3)
	if !ok {
		return s.malformed(start, "global count is unreadable or larger than the section")
	}
	if s.sum.Globals+n > s.l.MaxGlobals {
		return s.over("MaxGlobals", s.l.MaxGlobals, uint64(s.sum.Globals+n), start)
	}
	for i := 0; i < n; i++ {
		s.item, s.itemStart = i, r.pos
		if err := s.valtype(r); err != nil {
			return err
		}
		if err := s.mutability(r); err != nil {
			return err
		}
		if err := s.constExpr(r); err != nil {
			return err
		}
		if err := s.addGlobal(); err != nil {
			return err
		}
	}
	return nil
}

func (s *scanner) addGlobal() error {
	if s.sum.Globals++; s.sum.Globals > s.l.MaxGlobals {
		return s.over("MaxGlobals", s.l.MaxGlobals, uint64(s.sum.Globals), s.itemStart)
	}
	return s.addWork(workPerGlobal)
}

// mutability reads a global's mutability and counts the mutable ones.
func (s *scanner) mutability(r *reader) error {
	m, ok := r.byte()
	if !ok || m > 1 {
		return s.malformed(r.pos-1, "global mutability must be 0 or 1")
	}
	s.mutableGlobals += int(m)
	return nil
}

func (s *scanner) exports(r *reader) error {
	n, err := s.vector(r, 3, "MaxExports", s.l.MaxExports)
	if err != nil {
		return err
	}
	s.sum.Exports = n
	for i := 0; i < n; i++ {
		s.item, s.itemStart = i, r.pos
		if !r.name() {
			return s.malformed(s.itemStart, "export name runs past the end of the section")
		}
		if kind, ok := r.byte(); !ok || kind > 3 {
			return s.malformed(r.pos-1, "export kind is not a function, table, memory or global")
		}
		if _, ok := r.u32(); !ok {
			return s.truncated(r)
		}
	}
	return nil
}

// Element segment encodings, by the flags that start a segment.
const (
	elemTableIndex = 1 << 1 // active segment with an explicit table (or, if passive, declarative)
	elemPassive    = 1 << 0 // passive or declarative: no table and offset
	elemExprs      = 1 << 2 // items are constant expressions, not function indices
)

func (s *scanner) elements(r *reader) error {
	n, err := s.vector(r, 3, "MaxElementSegments", s.l.MaxElementSegments)
	if err != nil {
		return err
	}
	s.sum.ElementSegments = n
	for i := 0; i < n; i++ {
		s.item, s.itemStart = i, r.pos
		flags, ok := r.u32()
		if !ok || flags > 7 {
			return s.malformed(s.itemStart, "element segment flags must be 0 to 7")
		}
		active := flags&elemPassive == 0
		if active && flags&elemTableIndex != 0 {
			if _, ok := r.u32(); !ok {
				return s.truncated(r)
			}
		}
		if active {
			if err := s.constExpr(r); err != nil {
				return err
			}
		}
		if flags&(elemPassive|elemTableIndex) != 0 { // element kind or reference type
			if flags&elemExprs == 0 {
				if kind, ok := r.byte(); !ok || kind != 0 {
					return s.malformed(r.pos-1, "element kind must be 0 (funcref)")
				}
			} else if err := s.valtype(r); err != nil {
				return err
			}
		}
		start := r.pos
		items, ok := r.count(1)
		if !ok {
			return s.malformed(start, "item count is unreadable or larger than the rest of the section")
		}
		if s.sum.ElementItems += items; s.sum.ElementItems > s.l.MaxElementItems {
			return s.over("MaxElementItems", s.l.MaxElementItems, uint64(s.sum.ElementItems), start)
		}
		if err := s.addWork(uint64(items) * workPerElementItem); err != nil {
			return err
		}
		for j := 0; j < items; j++ {
			if flags&elemExprs != 0 {
				err = s.constExpr(r)
			} else if _, ok := r.u32(); !ok {
				err = s.truncated(r)
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *scanner) data(r *reader) error {
	n, err := s.vector(r, 2, "MaxDataSegments", s.l.MaxDataSegments)
	if err != nil {
		return err
	}
	s.sum.DataSegments = n
	for i := 0; i < n; i++ {
		s.item, s.itemStart = i, r.pos
		flags, ok := r.u32()
		if !ok || flags > 2 {
			return s.malformed(s.itemStart, "data segment flags must be 0, 1 or 2")
		}
		if flags == 2 {
			if _, ok := r.u32(); !ok {
				return s.truncated(r)
			}
		}
		if flags != 1 {
			if err := s.constExpr(r); err != nil {
				return err
			}
		}
		start := r.pos
		size, ok := r.count(1)
		if !ok {
			return s.malformed(start, "data size is unreadable or larger than the rest of the section")
		}
		if s.sum.DataBytes += size; s.sum.DataBytes > s.l.MaxDataBytes {
			return s.over("MaxDataBytes", s.l.MaxDataBytes, uint64(s.sum.DataBytes), start)
		}
		r.pos += size
	}
	return nil
}

func (s *scanner) custom(r *reader) error {
	start := r.pos - 1
	size := r.remaining()
	if s.sum.CustomSectionBytes += size; s.sum.CustomSectionBytes > s.l.MaxCustomSectionBytes {
		return s.over("MaxCustomSectionBytes", s.l.MaxCustomSectionBytes, uint64(s.sum.CustomSectionBytes), start)
	}
	nameStart := r.pos
	n, ok := r.u32()
	if !ok || !r.skip(int(n)) {
		return s.malformed(nameStart, "custom section name runs past the end of the section")
	}
	if string(s.wasm[r.pos-int(n):r.pos]) == "name" {
		if s.sawName {
			return s.malformed(nameStart, `second "name" section`)
		}
		s.sawName = true
		if err := s.nameSection(r, start); err != nil {
			return err
		}
	}
	r.pos = r.end
	return nil
}

// valtype reads a value type as wazero's decoder accepts it: a one-byte
// number, vector or reference type, or a typed reference (0x63, 0x64)
// followed by its heap type, which wazero's validator then refuses
// without the GC proposals.
func (s *scanner) valtype(r *reader) error {
	start := r.pos
	b, ok := r.byte()
	switch {
	case !ok:
		return s.truncated(r)
	case b == 0x7f, b == 0x7e, b == 0x7d, b == 0x7c, b == 0x7b, b == 0x70, b == 0x6f, b == 0x69:
		return nil
	case b == 0x63, b == 0x64:
		if _, ok := r.signed(33); ok {
			return nil
		}
	}
	return s.malformed(start, fmt.Sprintf("%#x is not a value type", b))
}

// constExpr reads a constant expression up to its end instruction, taking
// the instructions wazero's decoder takes with CoreFeaturesV2.
func (s *scanner) constExpr(r *reader) error {
	for {
		start := r.pos
		op, ok := r.byte()
		if !ok {
			return s.malformed(start, "constant expression has no end")
		}
		switch op {
		case 0x0b: // end
			return nil
		case 0x41: // i32.const
			_, ok = r.signed(32)
		case 0x42: // i64.const
			_, ok = r.signed(64)
		case 0x43: // f32.const
			ok = r.skip(4)
		case 0x44: // f64.const
			ok = r.skip(8)
		case 0x23, 0xd2: // global.get, ref.func
			_, ok = r.u32()
		case 0xd0: // ref.null
			ok = refNullType(r)
		case 0xfd: // v128.const
			var sub byte
			sub, ok = r.byte()
			ok = ok && sub == 0x0c && r.skip(16)
		default:
			ok = false
		}
		if !ok {
			return s.malformed(start, fmt.Sprintf("instruction %#x is not allowed or is cut short in a constant expression", op))
		}
	}
}

// refNullType reads the type of ref.null: funcref, externref or exnref,
// or else (as wazero does) an unsigned type index.
func refNullType(r *reader) bool {
	b, ok := r.byte()
	if !ok {
		return false
	}
	if b == 0x70 || b == 0x6f || b == 0x69 {
		return true
	}
	r.pos--
	_, ok = r.u32()
	return ok
}
