package canon

import (
	"encoding/binary"
	"fmt"
)

// Store lowers v, a Go value of type t (see VariantValue for the mapping), into
// linear memory at ptr (the spec's store), allocating strings and lists
// with the context's realloc. It traps if ptr is misaligned or out of
// bounds, if realloc returns a bad pointer, or if v does not match t.
func (cx *Context) Store(v any, t *Type, ptr uint32) error {
	if err := validType(t); err != nil {
		return err
	}
	if err := cx.checkRange(ptr, uint64(t.size), t.align, t.kind.String()); err != nil {
		return err
	}
	return cx.store(v, t, ptr)
}

func mismatch(v any, t *Type) error {
	return trapf("the host passed a %T where a %v was expected", v, t)
}

// scalarBits returns the memory bits of a scalar value (everything that is
// not a string, list, record or variant).
func (cx *Context) scalarBits(v any, t *Type) (uint64, error) {
	ok := false
	var bits uint64
	switch t.kind {
	case KindBool:
		var b bool
		if b, ok = v.(bool); b {
			bits = 1
		}
	case KindS8:
		var x int8
		x, ok = v.(int8)
		bits = uint64(uint8(x))
	case KindU8:
		var x uint8
		x, ok = v.(uint8)
		bits = uint64(x)
	case KindS16:
		var x int16
		x, ok = v.(int16)
		bits = uint64(uint16(x))
	case KindU16:
		var x uint16
		x, ok = v.(uint16)
		bits = uint64(x)
	case KindS32:
		var x int32
		x, ok = v.(int32)
		bits = uint64(uint32(x))
	case KindU32:
		var x uint32
		x, ok = v.(uint32)
		bits = uint64(x)
	case KindS64:
		var x int64
		x, ok = v.(int64)
		bits = uint64(x)
	case KindU64:
		bits, ok = v.(uint64)
	case KindF32:
		var x float32
		x, ok = v.(float32)
		bits = uint64(f32Bits(x))
	case KindF64:
		var x float64
		x, ok = v.(float64)
		bits = f64Bits(x)
	case KindChar:
		var r rune
		if r, ok = v.(rune); ok {
			if _, err := checkChar(uint32(r)); err != nil {
				return 0, fmt.Errorf("the host passed an invalid char: %w", err)
			}
			bits = uint64(uint32(r))
		}
	case KindEnum:
		var x uint32
		if x, ok = v.(uint32); ok && uint64(x) >= uint64(len(t.names)) {
			return 0, trapf("the host passed enum case %d of %d", x, len(t.names))
		}
		bits = uint64(x)
	case KindFlags:
		var x uint32
		if x, ok = v.(uint32); ok && x&^flagMask(len(t.names)) != 0 {
			return 0, trapf("the host passed flags %#x with bits beyond the %d labels", x, len(t.names))
		}
		bits = uint64(x)
	case KindOwn, KindBorrow:
		var rep uint32
		if rep, ok = v.(uint32); ok {
			i, err := cx.lowerHandle(rep, t)
			if err != nil {
				return 0, err
			}
			bits = uint64(i)
		}
	}
	if !ok {
		return 0, mismatch(v, t)
	}
	return bits, nil
}

func (cx *Context) store(v any, t *Type, ptr uint32) error {
	switch t.kind {
	case KindString:
		s, ok := v.(string)
		if !ok {
			return mismatch(v, t)
		}
		return cx.storeString(s, ptr)
	case KindList:
		p, n, err := cx.lowerList(v, t)
		if err != nil {
			return err
		}
		return cx.writePair(ptr, p, n)
	case KindRecord, KindTuple:
		fields, ok := v.([]any)
		if !ok || len(fields) != len(t.elems) {
			return mismatch(v, t)
		}
		for i, f := range t.elems {
			ptr = alignTo(ptr, f.align)
			if err := cx.store(fields[i], f, ptr); err != nil {
				return err
			}
			ptr += f.size
		}
		return nil
	case KindVariant, KindOption, KindResult:
		c, payload, err := variantCase(v, t)
		if err != nil {
			return err
		}
		disc := discriminantSize(len(t.elems))
		if err := cx.writeUint(ptr, uint64(c), disc); err != nil {
			return err
		}
		if payload == nil {
			return nil
		}
		return cx.store(v.(VariantValue).Value, payload, alignTo(ptr+disc, t.caseAlign()))
	}
	bits, err := cx.scalarBits(v, t)
	if err != nil {
		return err
	}
	size := t.size
	if t.kind == KindEnum {
		size = discriminantSize(len(t.names))
	}
	return cx.writeUint(ptr, bits, size)
}

// storeString is store of a string: lowered with realloc, its pointer and
// length written at ptr.
func (cx *Context) storeString(s string, ptr uint32) error {
	p, n, err := cx.lowerString(s)
	if err != nil {
		return err
	}
	return cx.writePair(ptr, p, n)
}

// isStringPair reports whether t is a tuple or record of two strings, whose
// Go value lowering also takes as a [2]string (in a [][2]string list).
func isStringPair(t *Type) bool {
	return (t.kind == KindTuple || t.kind == KindRecord) && len(t.elems) == 2 &&
		t.elems[0].kind == KindString && t.elems[1].kind == KindString
}

func variantCase(v any, t *Type) (uint32, *Type, error) {
	vv, ok := v.(VariantValue)
	if !ok {
		return 0, nil, mismatch(v, t)
	}
	if uint64(vv.Case) >= uint64(len(t.elems)) {
		return 0, nil, trapf("the host passed case %d of a %v with %d cases", vv.Case, t.kind, len(t.elems))
	}
	return vv.Case, t.elems[vv.Case], nil
}

func (cx *Context) writeUint(ptr uint32, v uint64, size uint32) error {
	binary.LittleEndian.PutUint64(cx.scratch[:], v)
	return cx.write(ptr, cx.scratch[:size], "value")
}

func (cx *Context) writePair(ptr, a, b uint32) error {
	binary.LittleEndian.PutUint32(cx.scratch[:], a)
	binary.LittleEndian.PutUint32(cx.scratch[4:], b)
	return cx.write(ptr, cx.scratch[:], "pointer and length")
}

// lowerList allocates room for the list v with realloc and stores its
// elements there, returning the pointer and the length.
func (cx *Context) lowerList(v any, t *Type) (uint32, uint32, error) {
	elem := t.elem
	var n int
	bytes, isBytes := v.([]byte)
	items, isItems := v.([]any)
	strs, isStrings := v.([]string)
	pairs, isPairs := v.([][2]string)
	switch {
	case isBytes && elem.kind == KindU8:
		n = len(bytes)
	case isItems:
		n = len(items)
	case isStrings && elem.kind == KindString:
		n = len(strs)
	case isPairs && isStringPair(elem):
		n = len(pairs)
	default:
		return 0, 0, mismatch(v, t)
	}
	size := uint64(n) * uint64(elem.size)
	if size > MaxListByteLength {
		return 0, 0, trapf("list of %d %v elements (%d bytes) is longer than the limit of %d bytes", n, elem.kind, size, MaxListByteLength)
	}
	ptr, err := cx.realloc(0, 0, elem.align, uint32(size), "a list")
	if err != nil {
		return 0, 0, err
	}
	switch {
	case isBytes:
		return ptr, uint32(n), cx.write(ptr, bytes, "list")
	case isStrings:
		// store's string case, element by element.
		for i, e := range strs {
			if err := cx.storeString(e, ptr+uint32(i)*elem.size); err != nil {
				return 0, 0, err
			}
		}
		return ptr, uint32(n), nil
	case isPairs:
		// store's record case over two strings, element by element.
		second := alignTo(elem.elems[0].size, elem.elems[1].align)
		for i, e := range pairs {
			at := ptr + uint32(i)*elem.size
			if err := cx.storeString(e[0], at); err != nil {
				return 0, 0, err
			}
			if err := cx.storeString(e[1], at+second); err != nil {
				return 0, 0, err
			}
		}
		return ptr, uint32(n), nil
	}
	for i, e := range items {
		if err := cx.store(e, elem, ptr+uint32(i)*elem.size); err != nil {
			return 0, 0, err
		}
	}
	return ptr, uint32(n), nil
}

// lowerHandle gives the guest a handle to rep: a new owned handle for own,
// and for borrow either the representation itself (when the guest
// implements the resource) or a borrowed handle scoped to the current task.
func (cx *Context) lowerHandle(rep uint32, t *Type) (uint32, error) {
	in, err := cx.instance()
	if err != nil {
		return 0, err
	}
	if t.kind == KindOwn {
		return in.add(in.newHandle(handle{rt: t.res, rep: rep, own: true}))
	}
	if t.res.Impl == in {
		return rep, nil
	}
	if cx.Task == nil || cx.Task.returned {
		return 0, trapf("a borrowed handle is lowered outside a call that could hold it")
	}
	i, err := in.add(in.newHandle(handle{rt: t.res, rep: rep, scope: cx.Task}))
	if err != nil {
		return 0, err
	}
	cx.Task.borrows++
	return i, nil
}
