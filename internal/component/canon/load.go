package canon

import (
	"encoding/binary"
	"math"
)

// VariantValue is the Go value of a variant, option or result: the index
// of the case and its payload (nil for a case without one). The package
// documentation lists the Go value of every type.
type VariantValue struct {
	Case  uint32
	Value any
}

// Canonical NaNs: every NaN lifted or lowered becomes one of these.
const (
	CanonicalNaN32 = 0x7fc00000
	CanonicalNaN64 = 0x7ff8000000000000
)

func canonF32(bits uint32) float32 {
	f := math.Float32frombits(bits)
	if f != f {
		return math.Float32frombits(CanonicalNaN32)
	}
	return f
}

func canonF64(bits uint64) float64 {
	f := math.Float64frombits(bits)
	if f != f {
		return math.Float64frombits(CanonicalNaN64)
	}
	return f
}

func f32Bits(f float32) uint32 {
	if f != f {
		return CanonicalNaN32
	}
	return math.Float32bits(f)
}

func f64Bits(f float64) uint64 {
	if f != f {
		return CanonicalNaN64
	}
	return math.Float64bits(f)
}

func checkChar(c uint32) (rune, error) {
	if c >= 0x110000 || (c >= 0xD800 && c <= 0xDFFF) {
		return 0, trapf("char %#x is not a Unicode scalar value", c)
	}
	return rune(c), nil
}

// Load lifts a value of type t from linear memory at ptr (the spec's load),
// trapping if ptr is misaligned or the value is not all in memory.
func (cx *Context) Load(ptr uint32, t *Type) (any, error) {
	if err := validType(t); err != nil {
		return nil, err
	}
	if err := cx.checkRange(ptr, uint64(t.size), t.align, t.kind.String()); err != nil {
		return nil, err
	}
	cx.startLift()
	return cx.load(ptr, t)
}

func (cx *Context) load(ptr uint32, t *Type) (any, error) {
	b, err := cx.read(ptr, t.size, t.kind.String())
	if err != nil {
		return nil, err
	}
	switch t.kind {
	case KindBool:
		return b[0] != 0, nil
	case KindS8:
		return int8(b[0]), nil
	case KindU8:
		return b[0], nil
	case KindS16:
		return int16(binary.LittleEndian.Uint16(b)), nil
	case KindU16:
		return binary.LittleEndian.Uint16(b), nil
	case KindS32:
		return int32(binary.LittleEndian.Uint32(b)), nil
	case KindU32:
		return binary.LittleEndian.Uint32(b), nil
	case KindS64:
		return int64(binary.LittleEndian.Uint64(b)), nil
	case KindU64:
		return binary.LittleEndian.Uint64(b), nil
	case KindF32:
		return canonF32(binary.LittleEndian.Uint32(b)), nil
	case KindF64:
		return canonF64(binary.LittleEndian.Uint64(b)), nil
	case KindChar:
		return checkChar(binary.LittleEndian.Uint32(b))
	case KindString:
		return cx.loadString(binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint32(b[4:]))
	case KindList:
		return cx.loadList(binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint32(b[4:]), t.elem)
	case KindRecord, KindTuple:
		return cx.loadRecord(ptr, t)
	case KindVariant, KindOption, KindResult, KindEnum:
		return cx.loadVariant(ptr, b, t)
	case KindFlags:
		return flagBits(b, len(t.names)), nil
	case KindOwn:
		return cx.liftOwn(binary.LittleEndian.Uint32(b), t)
	case KindBorrow:
		return cx.liftBorrow(binary.LittleEndian.Uint32(b), t)
	}
	return nil, trapf("cannot lift a value of kind %v", t.kind)
}

// flagBits reads a flags value, keeping only the bits of its labels (the
// spec ignores the others).
func flagBits(b []byte, labels int) uint32 {
	var v uint32
	for i := len(b) - 1; i >= 0; i-- {
		v = v<<8 | uint32(b[i])
	}
	return v & flagMask(labels)
}

func flagMask(labels int) uint32 {
	if labels >= 32 {
		return math.MaxUint32
	}
	return 1<<labels - 1
}

func (cx *Context) loadRecord(ptr uint32, t *Type) (any, error) {
	out := make([]any, len(t.elems))
	for i, f := range t.elems {
		ptr = alignTo(ptr, f.align)
		v, err := cx.load(ptr, f)
		if err != nil {
			return nil, err
		}
		out[i] = v
		ptr += f.size
	}
	return out, nil
}

func (cx *Context) loadVariant(ptr uint32, b []byte, t *Type) (any, error) {
	disc := discriminantSize(len(t.elems))
	var c uint32
	switch disc {
	case 1:
		c = uint32(b[0])
	case 2:
		c = uint32(binary.LittleEndian.Uint16(b))
	default:
		c = binary.LittleEndian.Uint32(b)
	}
	if uint64(c) >= uint64(len(t.elems)) {
		return nil, trapf("%v discriminant %d is out of range (%d cases)", t.kind, c, len(t.elems))
	}
	if t.kind == KindEnum {
		return c, nil
	}
	payload := t.elems[c]
	if payload == nil {
		return VariantValue{Case: c}, nil
	}
	v, err := cx.load(alignTo(ptr+disc, t.caseAlign()), payload)
	if err != nil {
		return nil, err
	}
	return VariantValue{Case: c, Value: v}, nil
}

// caseAlign is the spec's max_case_alignment.
func (t *Type) caseAlign() uint32 {
	a := uint32(1)
	for _, c := range t.elems {
		if c != nil {
			a = max(a, c.align)
		}
	}
	return a
}

func (cx *Context) loadString(ptr, taggedUnits uint32) (string, error) {
	return cx.liftString(ptr, taggedUnits)
}

// loadList lifts length elements of type elem at ptr, after checking the
// whole range is in memory, so a hostile length allocates nothing.
func (cx *Context) loadList(ptr, length uint32, elem *Type) (any, error) {
	n := uint64(length) * uint64(elem.size)
	if n > MaxListByteLength {
		return nil, trapf("list of %d %v elements (%d bytes) is longer than the limit of %d bytes", length, elem.kind, n, MaxListByteLength)
	}
	if err := cx.checkRange(ptr, n, elem.align, "list"); err != nil {
		return nil, err
	}
	if err := cx.charge(n, "a list"); err != nil {
		return nil, err
	}
	if elem.kind == KindU8 {
		b, err := cx.read(ptr, length, "list")
		if err != nil {
			return nil, err
		}
		return append([]byte{}, b...), nil
	}
	out := make([]any, length)
	for i := range out {
		v, err := cx.load(ptr+uint32(i)*elem.size, elem)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (cx *Context) instance() (*Instance, error) {
	if cx.Instance == nil {
		return nil, trapf("a resource handle was passed, but the call has no component instance to hold it")
	}
	return cx.Instance, nil
}

func (cx *Context) liftOwn(i uint32, t *Type) (any, error) {
	in, err := cx.instance()
	if err != nil {
		return nil, err
	}
	return in.liftOwn(i, t.res)
}

func (cx *Context) liftBorrow(i uint32, t *Type) (any, error) {
	in, err := cx.instance()
	if err != nil {
		return nil, err
	}
	if cx.Subtask == nil || cx.Subtask.done {
		return nil, trapf("borrowed handle %d is lifted outside a call that could borrow it", i)
	}
	h, err := in.get(i, t.res)
	if err != nil {
		return nil, err
	}
	h.lends++
	cx.Subtask.lenders = append(cx.Subtask.lenders, h)
	return h.rep, nil
}
