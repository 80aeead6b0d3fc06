package canon

import (
	"math"
	"reflect"
	"testing"
)

// flatCase is one of run_tests.py's test() cases: core values lifted as a
// type give a value (nil: a trap), which lowers and lifts back unchanged.
type flatCase struct {
	name string
	t    *Type
	flat []uint64
	want any
}

func f32bits(f float32) uint64 { return uint64(math.Float32bits(f)) }

func TestLiftFlat(t *testing.T) {
	v3 := Variant(Case{"x", U8()}, Case{"y", F32()}, Case{"z", nil})
	flags2 := Flags("a", "b")
	tests := []flatCase{
		{"record", Record(Field{"x", U8()}, Field{"y", U16()}, Field{"z", U32()}), []uint64{1, 2, 3}, []any{uint8(1), uint16(2), uint32(3)}},
		{"nested tuple", Tuple(Tuple(U8(), U8()), U8()), []uint64{1, 2, 3}, []any{[]any{uint8(1), uint8(2)}, uint8(3)}},
		{"flags 0", flags2, []uint64{0}, uint32(0)},
		{"flags 2", flags2, []uint64{2}, uint32(2)},
		{"flags 3", flags2, []uint64{3}, uint32(3)},
		{"flags extra bit ignored", flags2, []uint64{4}, uint32(0)},
		{"flags 32", Flags(labels(32)...), []uint64{0xffffffff}, uint32(0xffffffff)},
		{"variant x", v3, []uint64{0, 42}, VariantValue{0, uint8(42)}},
		{"variant x wraps", v3, []uint64{0, 256}, VariantValue{0, uint8(0)}},
		{"variant y", v3, []uint64{1, 0x4048f5c3}, VariantValue{1, float32(3.140000104904175)}},
		{"variant z", v3, []uint64{2, 0xffffffff}, VariantValue{2, nil}},
		{"variant bad discriminant", v3, []uint64{3, 0}, nil},
		{"option none", Option(F32()), []uint64{0, f32bits(3.14)}, VariantValue{0, nil}},
		{"option some", Option(F32()), []uint64{1, f32bits(3.14)}, VariantValue{1, float32(3.14)}},
		{"option bad discriminant", Option(F32()), []uint64{2, 0}, nil},
		{"result ok", Result(U8(), U32()), []uint64{0, 42}, VariantValue{0, uint8(42)}},
		{"result error", Result(U8(), U32()), []uint64{1, 1000}, VariantValue{1, uint32(1000)}},
		{"variant w", Variant(Case{"w", U8()}, Case{"y", U8()}), []uint64{0, 42}, VariantValue{0, uint8(42)}},
		{"variant f64 payload in i64", Variant(Case{"a", F64()}, Case{"b", U32()}), []uint64{0, math.Float64bits(2.5)}, VariantValue{0, 2.5}},
		{"variant u32 payload in i64 slot wraps", Variant(Case{"a", U64()}, Case{"b", U32()}), []uint64{1, 1<<32 | 7}, VariantValue{1, uint32(7)}},
		{"bool 0", Bool(), []uint64{0}, false},
		{"bool 1", Bool(), []uint64{1}, true},
		{"bool 2", Bool(), []uint64{2}, true},
		{"bool max", Bool(), []uint64{4294967295}, true},
		{"u8 127", U8(), []uint64{127}, uint8(127)},
		{"u8 256", U8(), []uint64{256}, uint8(0)},
		{"u8 max", U8(), []uint64{4294967295}, uint8(255)},
		{"u8 4294967168", U8(), []uint64{4294967168}, uint8(128)},
		{"s8 128", S8(), []uint64{128}, int8(-128)},
		{"s8 255", S8(), []uint64{255}, int8(-1)},
		{"s8 4294967167", S8(), []uint64{4294967167}, int8(127)},
		{"u16 65536", U16(), []uint64{65536}, uint16(0)},
		{"u16 4294934528", U16(), []uint64{1<<32 - 32768}, uint16(32768)},
		{"s16 32768", S16(), []uint64{32768}, int16(-32768)},
		{"s16 max", S16(), []uint64{1<<32 - 1}, int16(-1)},
		{"s16 4294934527", S16(), []uint64{1<<32 - 32769}, int16(32767)},
		{"u32 1<<31", U32(), []uint64{1 << 31}, uint32(1 << 31)},
		{"s32 1<<31", S32(), []uint64{1 << 31}, int32(math.MinInt32)},
		{"s32 max", S32(), []uint64{1<<32 - 1}, int32(-1)},
		{"u64 1<<63", U64(), []uint64{1 << 63}, uint64(1 << 63)},
		{"s64 1<<63", S64(), []uint64{1 << 63}, int64(math.MinInt64)},
		{"s64 max", S64(), []uint64{1<<64 - 1}, int64(-1)},
		{"f32", F32(), []uint64{f32bits(3.14)}, float32(3.14)},
		{"f64", F64(), []uint64{math.Float64bits(3.14)}, 3.14},
		{"char 0", Char(), []uint64{0}, rune(0)},
		{"char A", Char(), []uint64{65}, 'A'},
		{"char d7ff", Char(), []uint64{0xD7FF}, rune(0xD7FF)},
		{"char d800 traps", Char(), []uint64{0xD800}, nil},
		{"char dfff traps", Char(), []uint64{0xDFFF}, nil},
		{"char e000", Char(), []uint64{0xE000}, rune(0xE000)},
		{"char 10ffff", Char(), []uint64{0x10FFFF}, rune(0x10FFFF)},
		{"char 110000 traps", Char(), []uint64{0x110000}, nil},
		{"char max traps", Char(), []uint64{0xFFFFFFFF}, nil},
		{"enum a", Enum("a", "b"), []uint64{0}, uint32(0)},
		{"enum b", Enum("a", "b"), []uint64{1}, uint32(1)},
		{"enum 2 traps", Enum("a", "b"), []uint64{2}, nil},
		{"too few values traps", Tuple(U8(), U8()), []uint64{1}, nil},
		{"string out of bounds traps", String(), []uint64{0, 1}, nil},
		{"list out of bounds traps", List(U8()), []uint64{0, 1}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cx, _ := newCx(nil, UTF8)
			got, n, err := cx.LiftFlat(tc.flat, tc.t)
			if tc.want == nil {
				wantTrap(t, err)
				return
			}
			if err != nil {
				t.Fatalf("LiftFlat: %v", err)
			}
			if n != len(tc.flat) {
				t.Errorf("used %d core values, want %d", n, len(tc.flat))
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("LiftFlat = %#v, want %#v", got, tc.want)
			}
			roundTrip(t, cx, tc.t, got)
		})
	}
}

// roundTrip lowers v flat and to memory and lifts it back both ways.
func roundTrip(t *testing.T, cx *Context, ty *Type, v any) {
	t.Helper()
	flat, err := cx.LowerFlat(v, ty)
	if err != nil {
		t.Fatalf("LowerFlat: %v", err)
	}
	if want := len(FlattenType(ty)); len(flat) != want {
		t.Fatalf("LowerFlat gave %d core values, want %d", len(flat), want)
	}
	back, _, err := cx.LiftFlat(flat, ty)
	if err != nil {
		t.Fatalf("LiftFlat after LowerFlat: %v", err)
	}
	if !reflect.DeepEqual(back, v) {
		t.Fatalf("flat round trip = %#v, want %#v", back, v)
	}
	ptr, err := cx.realloc(0, 0, AlignOf(ty), SizeOf(ty), "test")
	if err != nil {
		t.Fatal(err)
	}
	if err := cx.Store(v, ty, ptr); err != nil {
		t.Fatalf("Store: %v", err)
	}
	back, err = cx.Load(ptr, ty)
	if err != nil {
		t.Fatalf("Load after Store: %v", err)
	}
	if !reflect.DeepEqual(back, v) {
		t.Fatalf("memory round trip = %#v, want %#v", back, v)
	}
}

func TestLowerVariantNarrowerType(t *testing.T) {
	// run_tests.py: a value lifted as variant{w,y} lowers as variant{w}.
	cx, _ := newCx(nil, UTF8)
	flat, err := cx.LowerFlat(VariantValue{0, uint8(42)}, Variant(Case{"w", U8()}))
	if err != nil || !reflect.DeepEqual(flat, []uint64{0, 42}) {
		t.Fatalf("LowerFlat = %v, %v", flat, err)
	}
}

func TestNaN(t *testing.T) {
	tests32 := []struct {
		name    string
		in, out uint32
	}{
		{"canonical", 0x7fc00000, CanonicalNaN32},
		{"payload 1", 0x7fc00001, CanonicalNaN32},
		{"payload high", 0x7fe00000, CanonicalNaN32},
		{"all ones", 0x7fffffff, CanonicalNaN32},
		{"negative", 0xffffffff, CanonicalNaN32},
		{"infinity", 0x7f800000, 0x7f800000},
		{"number", 0x3fc00000, 0x3fc00000},
	}
	for _, tc := range tests32 {
		t.Run("f32 "+tc.name, func(t *testing.T) {
			cx, _ := newCx([]byte{byte(tc.in), byte(tc.in >> 8), byte(tc.in >> 16), byte(tc.in >> 24)}, UTF8)
			v, _, err := cx.LiftFlat([]uint64{uint64(tc.in)}, F32())
			if err != nil || math.Float32bits(v.(float32)) != tc.out {
				t.Fatalf("LiftFlat = %v, %v", v, err)
			}
			v, err = cx.Load(0, F32())
			if err != nil || math.Float32bits(v.(float32)) != tc.out {
				t.Fatalf("Load = %v, %v", v, err)
			}
			flat, err := cx.LowerFlat(math.Float32frombits(tc.in), F32())
			if err != nil || flat[0] != uint64(tc.out) {
				t.Fatalf("LowerFlat = %#x, %v", flat, err)
			}
		})
	}
	tests64 := []struct {
		name    string
		in, out uint64
	}{
		{"canonical", 0x7ff8000000000000, CanonicalNaN64},
		{"payload 1", 0x7ff8000000000001, CanonicalNaN64},
		{"payload high", 0x7ffc000000000000, CanonicalNaN64},
		{"all ones", 0x7fffffffffffffff, CanonicalNaN64},
		{"negative", 0xffffffffffffffff, CanonicalNaN64},
		{"infinity", 0x7ff0000000000000, 0x7ff0000000000000},
		{"number", 0x3ff0000000000000, 0x3ff0000000000000},
	}
	for _, tc := range tests64 {
		t.Run("f64 "+tc.name, func(t *testing.T) {
			b := make([]byte, 8)
			for i := range b {
				b[i] = byte(tc.in >> (8 * i))
			}
			cx, _ := newCx(b, UTF8)
			v, _, err := cx.LiftFlat([]uint64{tc.in}, F64())
			if err != nil || math.Float64bits(v.(float64)) != tc.out {
				t.Fatalf("LiftFlat = %v, %v", v, err)
			}
			v, err = cx.Load(0, F64())
			if err != nil || math.Float64bits(v.(float64)) != tc.out {
				t.Fatalf("Load = %v, %v", v, err)
			}
		})
	}
}
