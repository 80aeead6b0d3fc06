package canon

import "math"

// flatIter hands out core values in order, each as the core type the
// caller wants: a variant's payload may sit in wider joined slots.
type flatIter struct {
	vals []uint64
	i    int
}

func (it *flatIter) next(want CoreType) (uint64, error) {
	if it.i >= len(it.vals) {
		return 0, trapf("too few core values: the core function's signature does not match the component type")
	}
	v := it.vals[it.i]
	it.i++
	if want == I32 || want == F32Core {
		v = uint64(uint32(v)) // i32 or f32 carried in a wider slot: wrap
	}
	return v, nil
}

// LiftFlat lifts one value of type t from the core values flat (the spec's
// lift_flat), returning it and how many core values it used.
func (cx *Context) LiftFlat(flat []uint64, t *Type) (any, int, error) {
	if err := flatOK(t); err != nil {
		return nil, 0, err
	}
	it := &flatIter{vals: flat}
	cx.startLift()
	v, err := cx.liftFlat(it, t)
	return v, it.i, err
}

func (cx *Context) liftFlat(it *flatIter, t *Type) (any, error) {
	switch t.kind {
	case KindRecord, KindTuple:
		out := make([]any, len(t.elems))
		for i, f := range t.elems {
			v, err := cx.liftFlat(it, f)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case KindVariant, KindOption, KindResult, KindEnum:
		return cx.liftFlatVariant(it, t)
	case KindString, KindList:
		ptr, err := it.next(I32)
		if err != nil {
			return nil, err
		}
		n, err := it.next(I32)
		if err != nil {
			return nil, err
		}
		if t.kind == KindString {
			return cx.liftString(uint32(ptr), uint32(n))
		}
		return cx.loadList(uint32(ptr), uint32(n), t.elem)
	}
	x, err := it.next(t.flat[0])
	if err != nil {
		return nil, err
	}
	switch t.kind {
	case KindBool:
		return x != 0, nil
	case KindS8:
		return int8(x), nil
	case KindU8:
		return uint8(x), nil
	case KindS16:
		return int16(x), nil
	case KindU16:
		return uint16(x), nil
	case KindS32:
		return int32(x), nil
	case KindU32:
		return uint32(x), nil
	case KindS64:
		return int64(x), nil
	case KindU64:
		return x, nil
	case KindF32:
		return canonF32(uint32(x)), nil
	case KindF64:
		return canonF64(x), nil
	case KindChar:
		return checkChar(uint32(x))
	case KindFlags:
		return uint32(x) & flagMask(len(t.names)), nil
	case KindOwn:
		return cx.liftOwn(uint32(x), t)
	case KindBorrow:
		return cx.liftBorrow(uint32(x), t)
	}
	return nil, trapf("cannot lift a value of kind %v", t.kind)
}

func (cx *Context) liftFlatVariant(it *flatIter, t *Type) (any, error) {
	c, err := it.next(I32)
	if err != nil {
		return nil, err
	}
	if c >= uint64(len(t.elems)) {
		return nil, trapf("%v discriminant %d is out of range (%d cases)", t.kind, c, len(t.elems))
	}
	slots := len(t.flat) - 1
	start := it.i
	var v any
	if payload := t.elems[c]; payload != nil {
		// The payload's values sit in the variant's joined slots; next
		// wraps an i64 slot to the i32 or f32 the payload wants.
		if v, err = cx.liftFlat(it, payload); err != nil {
			return nil, err
		}
	}
	if it.i = start + slots; it.i > len(it.vals) {
		return nil, trapf("too few core values: the core function's signature does not match the component type")
	}
	if t.kind == KindEnum {
		return uint32(c), nil
	}
	return VariantValue{Case: uint32(c), Value: v}, nil
}

// LowerFlat lowers v, a Go value of type t, to core values (the spec's
// lower_flat), allocating strings and lists in guest memory with realloc.
func (cx *Context) LowerFlat(v any, t *Type) ([]uint64, error) {
	if err := flatOK(t); err != nil {
		return nil, err
	}
	return cx.lowerFlat(nil, v, t)
}

func (cx *Context) lowerFlat(out []uint64, v any, t *Type) ([]uint64, error) {
	switch t.kind {
	case KindString:
		s, ok := v.(string)
		if !ok {
			return nil, mismatch(v, t)
		}
		p, n, err := cx.lowerString(s)
		return append(out, uint64(p), uint64(n)), err
	case KindList:
		p, n, err := cx.lowerList(v, t)
		return append(out, uint64(p), uint64(n)), err
	case KindRecord, KindTuple:
		fields, ok := v.([]any)
		if !ok || len(fields) != len(t.elems) {
			return nil, mismatch(v, t)
		}
		var err error
		for i, f := range t.elems {
			if out, err = cx.lowerFlat(out, fields[i], f); err != nil {
				return nil, err
			}
		}
		return out, nil
	case KindVariant, KindOption, KindResult:
		c, payload, err := variantCase(v, t)
		if err != nil {
			return nil, err
		}
		out = append(out, uint64(c))
		start := len(out)
		if payload != nil {
			// Joined slots need no conversion: an f32 is already its
			// bits, and an i32 or f32 is already zero-extended.
			if out, err = cx.lowerFlat(out, v.(VariantValue).Value, payload); err != nil {
				return nil, err
			}
		}
		for len(out) < start+len(t.flat)-1 {
			out = append(out, 0)
		}
		return out, nil
	}
	bits, err := cx.scalarBits(v, t)
	if err != nil {
		return nil, err
	}
	switch t.kind {
	case KindS8, KindS16:
		bits = uint64(uint32(int32(signExtend(bits, t.size))))
	case KindF32:
		bits &= math.MaxUint32
	}
	return append(out, bits), nil
}

// flatOK reports whether t is valid and flattens to at most MaxFlatParams
// core values; a longer one always travels in memory.
func flatOK(t *Type) error {
	if err := validType(t); err != nil {
		return err
	}
	if len(t.flat) > MaxFlatParams {
		return trapf("a %v flattens to more than %d core values; it travels in memory", t.kind, MaxFlatParams)
	}
	return nil
}

// signExtend widens the size-byte two's complement value in bits.
func signExtend(bits uint64, size uint32) int64 {
	shift := 64 - 8*size
	return int64(bits<<shift) >> shift
}
