package canon

import (
	"math"
	"reflect"
	"strconv"
	"testing"
)

// byteSource hands out fuzz bytes, then zeros.
type byteSource struct {
	b []byte
}

func (s *byteSource) byte() byte {
	if len(s.b) == 0 {
		return 0
	}
	c := s.b[0]
	s.b = s.b[1:]
	return c
}

func (s *byteSource) u32() uint32 {
	return uint32(s.byte()) | uint32(s.byte())<<8 | uint32(s.byte())<<16 | uint32(s.byte())<<24
}

func (s *byteSource) u64() uint64 { return uint64(s.u32()) | uint64(s.u32())<<32 }

// fuzzType builds a type from fuzz bytes, at most depth levels deep.
func fuzzType(s *byteSource, depth int, rt *ResourceType) *Type {
	k := Kind(s.byte()%byte(KindBorrow)) + 1
	if depth <= 0 && k >= KindList {
		k = KindU32
	}
	n := int(s.byte()%4) + 1
	switch k {
	case KindBool:
		return Bool()
	case KindS8:
		return S8()
	case KindU8:
		return U8()
	case KindS16:
		return S16()
	case KindU16:
		return U16()
	case KindS32:
		return S32()
	case KindU32:
		return U32()
	case KindS64:
		return S64()
	case KindU64:
		return U64()
	case KindF32:
		return F32()
	case KindF64:
		return F64()
	case KindChar:
		return Char()
	case KindString:
		return String()
	case KindList:
		return List(fuzzType(s, depth-1, rt))
	case KindRecord:
		fs := make([]Field, n)
		for i := range fs {
			fs[i] = Field{strconv.Itoa(i), fuzzType(s, depth-1, rt)}
		}
		return Record(fs...)
	case KindTuple:
		ts := make([]*Type, n)
		for i := range ts {
			ts[i] = fuzzType(s, depth-1, rt)
		}
		return Tuple(ts...)
	case KindVariant:
		cs := make([]Case, n)
		for i := range cs {
			cs[i].Name = strconv.Itoa(i)
			if s.byte()%3 != 0 {
				cs[i].Type = fuzzType(s, depth-1, rt)
			}
		}
		return Variant(cs...)
	case KindEnum:
		if s.byte()%8 == 0 {
			return Enum(labels(300)...)
		}
		return Enum(labels(n)...)
	case KindOption:
		return Option(fuzzType(s, depth-1, rt))
	case KindResult:
		var ok, err *Type
		if s.byte()%2 == 0 {
			ok = fuzzType(s, depth-1, rt)
		}
		if s.byte()%2 == 0 {
			err = fuzzType(s, depth-1, rt)
		}
		return Result(ok, err)
	case KindFlags:
		return Flags(labels(int(s.byte())%MaxFlags + 1)...)
	case KindOwn:
		return Own(rt)
	}
	return Borrow(rt)
}

func fuzzEncoding(s *byteSource) StringEncoding { return StringEncoding(s.byte() % 3) }

// FuzzLift lifts arbitrary types from arbitrary memory and core values:
// it must never panic, and every error must be a trap.
func FuzzLift(f *testing.F) {
	f.Add([]byte{byte(KindString - 1), 0, 0}, []byte{8, 0, 0, 0, 3, 0, 0, 0, 'a', 'b', 'c'}, uint32(0), uint64(8), uint64(3))
	f.Add([]byte{byte(KindList - 1), 0, byte(KindVariant - 1), 2, 1, byte(KindString - 1)}, []byte{8, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0}, uint32(0), uint64(8), uint64(2))
	f.Add([]byte{byte(KindOwn - 1), 0}, []byte{1, 0, 0, 0}, uint32(0), uint64(1), uint64(0))
	f.Add([]byte{byte(KindRecord - 1), 3, byte(KindChar - 1), 0, byte(KindBorrow - 1), 0, byte(KindF64 - 1), 0}, make([]byte, 32), uint32(0), uint64(0), uint64(0))
	f.Fuzz(func(t *testing.T, typeBytes, mem []byte, ptr uint32, a, b uint64) {
		if len(mem) > 1<<16 {
			return
		}
		s := &byteSource{b: typeBytes}
		rt := &ResourceType{Name: "r"}
		ty := fuzzType(s, 4, rt)
		cx, _ := newCx(mem, fuzzEncoding(s))
		cx.Memory.(*testMemory).limit = len(mem)
		// Some handles for own and borrow to find (or not).
		for i := range 3 {
			_, _ = cx.Instance.ResourceNew(rt, uint32(i))
		}
		check := func(what string, err error) {
			if err != nil && !IsTrap(err) {
				t.Fatalf("%s of %v: error is not a trap: %T %v", what, ty, err, err)
			}
		}
		_, err := cx.Load(ptr, ty)
		check("Load", err)
		_, _, err = cx.LiftFlat([]uint64{a, b, a >> 32, b >> 32, a ^ b, 1, 0, 2}, ty)
		check("LiftFlat", err)
		ft := &FuncType{Params: []*Type{ty, ty, ty}, Results: []*Type{ty}}
		if ft.Err() == nil {
			_, err = cx.LiftParams(ft, []uint64{a, b, uint64(ptr), a >> 32})
			check("LiftParams", err)
			_, err = cx.LiftResults(ft, []uint64{uint64(ptr)})
			check("LiftResults", err)
		}
	})
}

// fuzzValue builds a Go value of type t from fuzz bytes.
func fuzzValue(s *byteSource, t *Type, reps *uint32) any {
	switch t.kind {
	case KindBool:
		return s.byte()%2 == 1
	case KindS8:
		return int8(s.byte())
	case KindU8:
		return s.byte()
	case KindS16:
		return int16(s.u32())
	case KindU16:
		return uint16(s.u32())
	case KindS32:
		return int32(s.u32())
	case KindU32:
		return s.u32()
	case KindS64:
		return int64(s.u64())
	case KindU64:
		return s.u64()
	case KindF32:
		return canonF32(s.u32())
	case KindF64:
		return canonF64(s.u64())
	case KindChar:
		c := s.u32() % 0x110000
		if c >= 0xD800 && c <= 0xDFFF {
			c = 'x'
		}
		return rune(c)
	case KindString:
		n := int(s.byte() % 8)
		rs := make([]rune, n)
		for i := range rs {
			rs[i] = fuzzValue(s, Char(), reps).(rune)
		}
		return string(rs)
	case KindList:
		n := int(s.byte() % 4)
		if t.elem.kind == KindU8 {
			b := make([]byte, n)
			for i := range b {
				b[i] = s.byte()
			}
			return b
		}
		out := make([]any, n)
		for i := range out {
			out[i] = fuzzValue(s, t.elem, reps)
		}
		return out
	case KindRecord, KindTuple:
		out := make([]any, len(t.elems))
		for i, f := range t.elems {
			out[i] = fuzzValue(s, f, reps)
		}
		return out
	case KindVariant, KindOption, KindResult:
		c := uint32(s.byte()) % uint32(len(t.elems))
		v := VariantValue{Case: c}
		if p := t.elems[c]; p != nil {
			v.Value = fuzzValue(s, p, reps)
		}
		return v
	case KindEnum:
		return uint32(s.byte()) % uint32(len(t.names))
	case KindFlags:
		return s.u32() & flagMask(len(t.names))
	}
	*reps++
	return *reps // own or borrow: a distinct representation
}

// FuzzLowerLift lowers random values of random types, to memory and flat,
// and lifts them back: they must come back unchanged.
func FuzzLowerLift(f *testing.F) {
	f.Add([]byte{byte(KindString - 1), 0, 0}, []byte{3, 'a', 0, 0, 0})
	f.Add([]byte{byte(KindVariant - 1), 2, 1, byte(KindF32 - 1), 0, 1, byte(KindU64 - 1), 0, 1}, []byte{1, 1, 2, 3, 4, 5, 6, 7, 8})
	f.Add([]byte{byte(KindList - 1), 0, byte(KindOwn - 1), 0, 1}, []byte{3})
	f.Fuzz(func(t *testing.T, typeBytes, valueBytes []byte) {
		s := &byteSource{b: typeBytes}
		rt := &ResourceType{Name: "r"}
		ty := fuzzType(s, 4, rt)
		enc := fuzzEncoding(s)
		if ty.Err() != nil {
			return
		}
		var reps uint32
		v := fuzzValue(&byteSource{b: valueBytes}, ty, &reps)
		cx, _ := newCx(make([]byte, 8), enc)
		if len(ty.flat) <= MaxFlatParams {
			flat, err := cx.LowerFlat(v, ty)
			if err != nil {
				t.Fatalf("LowerFlat(%#v, %v): %v", v, ty, err)
			}
			cx.Subtask = &Subtask{}
			back, _, err := cx.LiftFlat(flat, ty)
			if err != nil {
				t.Fatalf("LiftFlat(%v, %v): %v", flat, ty, err)
			}
			if !equalValues(back, v) {
				t.Fatalf("flat round trip of %v: got %#v, want %#v", ty, back, v)
			}
			cx.Subtask.Finish()
		}
		ptr, err := cx.realloc(0, 0, ty.align, ty.size, "test")
		if err != nil {
			t.Fatal(err)
		}
		if err := cx.Store(v, ty, ptr); err != nil {
			t.Fatalf("Store(%#v, %v): %v", v, ty, err)
		}
		cx.Subtask = &Subtask{}
		back, err := cx.Load(ptr, ty)
		if err != nil {
			t.Fatalf("Load(%v): %v", ty, err)
		}
		if !equalValues(back, v) {
			t.Fatalf("memory round trip of %v: got %#v, want %#v", ty, back, v)
		}
		// As the parameters of a call: flat, or spilled to memory.
		ft := &FuncType{Params: []*Type{ty, ty, ty}}
		flat, err := cx.LowerParams(ft, []any{v, v, v})
		if err != nil {
			t.Fatalf("LowerParams(%v): %v", ty, err)
		}
		cx.Subtask = &Subtask{}
		args, err := cx.LiftParams(ft, flat)
		if err != nil {
			t.Fatalf("LiftParams(%v): %v", ty, err)
		}
		if !equalValues(args, []any{v, v, v}) {
			t.Fatalf("call round trip of %v: got %#v, want %#v", ty, args, v)
		}
	})
}

// equalValues is reflect.DeepEqual, except that NaNs compare by bits.
func equalValues(a, b any) bool {
	switch x := a.(type) {
	case float32:
		y, ok := b.(float32)
		return ok && math.Float32bits(x) == math.Float32bits(y)
	case float64:
		y, ok := b.(float64)
		return ok && math.Float64bits(x) == math.Float64bits(y)
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalValues(x[i], y[i]) {
				return false
			}
		}
		return true
	case VariantValue:
		y, ok := b.(VariantValue)
		return ok && x.Case == y.Case && equalValues(x.Value, y.Value)
	}
	return reflect.DeepEqual(a, b)
}
