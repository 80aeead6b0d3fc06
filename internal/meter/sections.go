package meter

import (
	"errors"
	"fmt"

	"github.com/wisphq/wisp/internal/wasmbin"
)

// types reads the type section and returns it with the refuel function's
// type, [] -> [], added at its end.
func (m *module) types(b []byte) ([]byte, error) {
	r := &reader{B: b}
	var n uint32
	if b != nil {
		var err error
		if n, err = r.U32(); err != nil {
			return nil, err
		}
	}
	m.typeParams = make([]uint32, 0, min(n, 1<<16))
	for i := uint32(0); i < n; i++ {
		if form, err := r.Byte(); err != nil || form != 0x60 {
			return nil, fmt.Errorf("type %d is not a function type", i)
		}
		params, err := r.Vec() // one byte per value type
		if err != nil {
			return nil, fmt.Errorf("type %d: %w", i, err)
		}
		if _, err := r.Vec(); err != nil {
			return nil, fmt.Errorf("type %d: %w", i, err)
		}
		m.typeParams = append(m.typeParams, uint32(len(params)))
	}
	if !r.Done() {
		return nil, errors.New("bytes after the last type")
	}
	m.refuelType = n
	out := wasmbin.AppendU32(nil, n+1)
	out = append(out, skipCount(b)...)
	return append(out, 0x60, 0x00, 0x00), nil
}

// skipCount returns a vector's entries, without its count.
func skipCount(b []byte) []byte {
	if b == nil {
		return nil
	}
	r := &reader{B: b}
	if _, err := r.U32(); err != nil {
		return nil
	}
	return b[r.Pos:]
}

// imports reads the import section and returns it with the refuel import
// added at its end.
func (m *module) imports(b []byte) ([]byte, error) {
	r := &reader{B: b}
	var n uint32
	if b != nil {
		var err error
		if n, err = r.U32(); err != nil {
			return nil, err
		}
	}
	for i := uint32(0); i < n; i++ {
		mod, err := r.Vec()
		if err != nil {
			return nil, fmt.Errorf("import %d: %w", i, err)
		}
		if string(mod) == ImportModule {
			return nil, fmt.Errorf("%w: it imports from %q", ErrReserved, ImportModule)
		}
		name, err := r.Vec()
		if err != nil {
			return nil, fmt.Errorf("import %d: %w", i, err)
		}
		if string(name) == FuelExport {
			// In a component, another step's fuel counter.
			return nil, fmt.Errorf("%w: it imports %q from %q", ErrReserved, FuelExport, mod)
		}
		kind, err := r.Byte()
		if err != nil {
			return nil, fmt.Errorf("import %d: %w", i, err)
		}
		switch kind {
		case 0x00: // function
			m.funcImports++
			var t uint32
			if t, err = r.U32(); err == nil && t >= m.refuelType {
				// The refuel function's type is added at index refuelType.
				err = fmt.Errorf("type %d does not exist", t)
			}
		case 0x01: // table: reference type, limits
			if _, err = r.Byte(); err == nil {
				err = wasmbin.SkipLimits(r)
			}
		case 0x02: // memory
			err = wasmbin.SkipLimits(r)
		case 0x03: // global: value type, mutability
			m.globals++
			err = r.Skip(2)
		default:
			err = fmt.Errorf("unknown import kind %d", kind)
		}
		if err != nil {
			return nil, fmt.Errorf("import %d: %w", i, err)
		}
	}
	if !r.Done() {
		return nil, errors.New("bytes after the last import")
	}
	out := wasmbin.AppendU32(nil, n+1)
	out = append(out, skipCount(b)...)
	out = wasmbin.AppendVec(out, []byte(ImportModule))
	out = wasmbin.AppendVec(out, []byte(ImportName))
	out = append(out, 0x00)
	return wasmbin.AppendU32(out, m.refuelType), nil
}

// functions reads the type of each function the module defines.
func (m *module) functions(b []byte) error {
	if b == nil {
		return nil
	}
	r := &reader{B: b}
	n, err := r.U32()
	if err != nil {
		return err
	}
	m.funcTypes = make([]uint32, 0, min(n, 1<<16))
	for i := uint32(0); i < n; i++ {
		t, err := r.U32()
		if err != nil {
			return err
		}
		if t >= uint32(len(m.typeParams)) {
			return fmt.Errorf("function %d has type %d, which does not exist", i, t)
		}
		m.funcTypes = append(m.funcTypes, t)
	}
	if !r.Done() {
		return errors.New("bytes after the last function")
	}
	return nil
}

// globalSection returns the global section with the fuel counter added at
// its end (and ref.func in initializers renumbered).
func (m *module) globalSection(b []byte) ([]byte, error) {
	r := &reader{B: b}
	var n uint32
	if b != nil {
		var err error
		if n, err = r.U32(); err != nil {
			return nil, err
		}
	}
	out := wasmbin.AppendU32(nil, n+1)
	for i := uint32(0); i < n; i++ {
		start := r.Pos
		if err := r.Skip(2); err != nil { // value type, mutability
			return nil, fmt.Errorf("global %d: %w", i, err)
		}
		out = append(out, r.B[start:r.Pos]...)
		var err error
		// An initializer reads imported globals only (and, with extended
		// constants, those defined before it).
		if out, err = m.constExpr(r, out, m.globals+i); err != nil {
			return nil, fmt.Errorf("global %d: %w", i, err)
		}
	}
	if !r.Done() {
		return nil, errors.New("bytes after the last global")
	}
	m.globals += n
	// mutable i64, initially 0
	return append(out, 0x7E, 0x01, 0x42, 0x00, 0x0B), nil
}

// exports returns the export section with function indices renumbered and
// the fuel counter exported.
func (m *module) exports(b []byte) ([]byte, error) {
	r := &reader{B: b}
	var n uint32
	if b != nil {
		var err error
		if n, err = r.U32(); err != nil {
			return nil, err
		}
	}
	out := wasmbin.AppendU32(nil, n+1)
	for i := uint32(0); i < n; i++ {
		name, err := r.Vec()
		if err != nil {
			return nil, fmt.Errorf("export %d: %w", i, err)
		}
		if string(name) == FuelExport {
			return nil, fmt.Errorf("%w: it exports %q", ErrReserved, FuelExport)
		}
		kind, err := r.Byte()
		if err != nil {
			return nil, fmt.Errorf("export %d: %w", i, err)
		}
		idx, err := r.U32()
		if err != nil {
			return nil, fmt.Errorf("export %d: %w", i, err)
		}
		switch kind {
		case 0x00:
			idx, err = m.fn(idx)
		case 0x03:
			err = checkGlobal(idx, m.globals)
		}
		if err != nil {
			return nil, fmt.Errorf("export %d: %w", i, err)
		}
		out = wasmbin.AppendVec(out, name)
		out = wasmbin.AppendU32(append(out, kind), idx)
	}
	if !r.Done() {
		return nil, errors.New("bytes after the last export")
	}
	out = wasmbin.AppendVec(out, []byte(FuelExport))
	return wasmbin.AppendU32(append(out, 0x03), m.globals), nil
}

// elements returns the element section with function indices renumbered.
func (m *module) elements(b []byte) ([]byte, error) {
	r := &reader{B: b}
	n, err := r.U32()
	if err != nil {
		return nil, err
	}
	out := wasmbin.AppendU32(nil, n)
	for i := uint32(0); i < n; i++ {
		if out, err = m.element(r, out); err != nil {
			return nil, fmt.Errorf("segment %d: %w", i, err)
		}
	}
	if !r.Done() {
		return nil, errors.New("bytes after the last segment")
	}
	return out, nil
}

func (m *module) element(r *reader, out []byte) ([]byte, error) {
	flags, err := r.U32()
	if err != nil {
		return nil, err
	}
	if flags > 7 {
		return nil, fmt.Errorf("unknown segment flags %d", flags)
	}
	out = wasmbin.AppendU32(out, flags)
	if flags&3 == 2 { // explicit table index
		start := r.Pos
		if _, err := r.U32(); err != nil {
			return nil, err
		}
		out = append(out, r.B[start:r.Pos]...)
	}
	if flags&1 == 0 { // active: offset
		if out, err = m.constExpr(r, out, m.globals); err != nil {
			return nil, err
		}
	}
	if flags&3 != 0 { // element kind or reference type
		c, err := r.Byte()
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	count, err := r.U32()
	if err != nil {
		return nil, err
	}
	out = wasmbin.AppendU32(out, count)
	for j := uint32(0); j < count; j++ {
		if flags&4 != 0 { // expressions
			if out, err = m.constExpr(r, out, m.globals); err != nil {
				return nil, err
			}
			continue
		}
		f, err := r.U32()
		if err != nil {
			return nil, err
		}
		if f, err = m.fn(f); err != nil {
			return nil, err
		}
		out = wasmbin.AppendU32(out, f)
	}
	return out, nil
}
