package canon

import (
	"errors"
	"reflect"
	"strconv"
	"testing"
)

func labels(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = strconv.Itoa(i)
	}
	return out
}

func TestSizeAlign(t *testing.T) {
	res := &ResourceType{Name: "r"}
	tests := []struct {
		name        string
		t           *Type
		size, align uint32
	}{
		{"bool", Bool(), 1, 1},
		{"s8", S8(), 1, 1},
		{"u8", U8(), 1, 1},
		{"s16", S16(), 2, 2},
		{"u16", U16(), 2, 2},
		{"s32", S32(), 4, 4},
		{"u32", U32(), 4, 4},
		{"s64", S64(), 8, 8},
		{"u64", U64(), 8, 8},
		{"f32", F32(), 4, 4},
		{"f64", F64(), 8, 8},
		{"char", Char(), 4, 4},
		{"string", String(), 8, 4},
		{"list<u64>", List(U64()), 8, 4},
		{"record u8 u16 u32", Record(Field{"x", U8()}, Field{"y", U16()}, Field{"z", U32()}), 8, 4},
		{"tuple u8 u16 u8 u32", Tuple(U8(), U16(), U8(), U32()), 12, 4},
		{"tuple u16 u8", Tuple(U16(), U8()), 4, 2},
		{"tuple tuple<u16 u8> u8", Tuple(Tuple(U16(), U8()), U8()), 6, 2},
		{"tuple u8 u64", Tuple(U8(), U64()), 16, 8},
		{"enum 2", Enum("a", "b"), 1, 1},
		{"enum 256", Enum(labels(256)...), 1, 1},
		{"enum 257", Enum(labels(257)...), 2, 2},
		{"enum 65536", Enum(labels(65536)...), 2, 2},
		{"enum 65537", Enum(labels(65537)...), 4, 4},
		{"option u8", Option(U8()), 2, 1},
		{"option u32", Option(U32()), 8, 4},
		{"option u64", Option(U64()), 16, 8},
		{"option string", Option(String()), 12, 4},
		{"result none none", Result(nil, nil), 1, 1},
		{"result u8 u32", Result(U8(), U32()), 8, 4},
		{"variant u8 f32 none", Variant(Case{"x", U8()}, Case{"y", F32()}, Case{"z", nil}), 8, 4},
		{"flags 1", Flags("a"), 1, 1},
		{"flags 8", Flags(labels(8)...), 1, 1},
		{"flags 9", Flags(labels(9)...), 2, 2},
		{"flags 16", Flags(labels(16)...), 2, 2},
		{"flags 17", Flags(labels(17)...), 4, 4},
		{"flags 32", Flags(labels(32)...), 4, 4},
		{"own", Own(res), 4, 4},
		{"borrow", Borrow(res), 4, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.t.Err(); err != nil {
				t.Fatalf("Err: %v", err)
			}
			if got := SizeOf(tc.t); got != tc.size {
				t.Errorf("SizeOf = %d, want %d", got, tc.size)
			}
			if got := AlignOf(tc.t); got != tc.align {
				t.Errorf("AlignOf = %d, want %d", got, tc.align)
			}
		})
	}
}

func TestInvalidTypes(t *testing.T) {
	deep := U8()
	for range MaxTypeDepth + 1 {
		deep = List(deep)
	}
	huge := U64()
	for range 40 { // 8 << 40 bytes: shared subtrees make sizes grow exponentially
		huge = Tuple(huge, huge)
	}
	tests := []struct {
		name string
		t    *Type
	}{
		{"empty record", Record()},
		{"empty tuple", Tuple()},
		{"empty variant", Variant()},
		{"empty enum", Enum()},
		{"empty flags", Flags()},
		{"33 flags", Flags(labels(33)...)},
		{"nil list element", List(nil)},
		{"nil field", Record(Field{"x", nil})},
		{"own without resource", Own(nil)},
		{"too deep", deep},
		{"larger than 4 GiB", huge},
		{"invalid child", Option(Record())},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.t.Err() == nil {
				t.Fatal("Err = nil, want an error")
			}
			cx, _ := newCx(make([]byte, 64), UTF8)
			_, err := cx.Load(0, tc.t)
			wantTrap(t, err)
			_, _, err = cx.LiftFlat([]uint64{0, 0, 0}, tc.t)
			wantTrap(t, err)
			wantTrap(t, cx.Store(uint8(0), tc.t, 0))
		})
	}
}

func TestFuncTypeErr(t *testing.T) {
	res := &ResourceType{Name: "r"}
	tests := []struct {
		name string
		ft   FuncType
		ok   bool
	}{
		{"borrow param", FuncType{Params: []*Type{Borrow(res)}}, true},
		{"borrow result", FuncType{Results: []*Type{Borrow(res)}}, false},
		{"borrow nested in result", FuncType{Results: []*Type{List(Option(Borrow(res)))}}, false},
		{"two results", FuncType{Results: []*Type{U8(), U8()}}, false},
		{"invalid param", FuncType{Params: []*Type{Flags()}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.ft.Err(); (err == nil) != tc.ok {
				t.Fatalf("Err = %v, want ok %v", err, tc.ok)
			}
		})
	}
}

func repeat(t *Type, n int) []*Type {
	out := make([]*Type, n)
	for i := range out {
		out[i] = t
	}
	return out
}

func cts(c CoreType, n int) []CoreType {
	out := make([]CoreType, n)
	for i := range out {
		out[i] = c
	}
	return out
}

// TestFlatten mirrors run_tests.py's test_flatten cases, plus variants.
func TestFlatten(t *testing.T) {
	tests := []struct {
		name           string
		ft             FuncType
		liftP, liftR   []CoreType
		lowerP, lowerR []CoreType
	}{
		{"u8 f32 f64 -> none", FuncType{Params: []*Type{U8(), F32(), F64()}},
			[]CoreType{I32, F32Core, F64Core}, nil, []CoreType{I32, F32Core, F64Core}, nil},
		{"-> f32", FuncType{Params: []*Type{U8(), F32(), F64()}, Results: []*Type{F32()}},
			[]CoreType{I32, F32Core, F64Core}, []CoreType{F32Core}, []CoreType{I32, F32Core, F64Core}, []CoreType{F32Core}},
		{"-> u8", FuncType{Results: []*Type{U8()}}, nil, []CoreType{I32}, nil, []CoreType{I32}},
		{"-> tuple<f32>", FuncType{Results: []*Type{Tuple(F32())}}, nil, []CoreType{F32Core}, nil, []CoreType{F32Core}},
		{"-> tuple<f32 f32>", FuncType{Results: []*Type{Tuple(F32(), F32())}}, nil, []CoreType{I32}, []CoreType{I32}, nil},
		{"17 u8 params", FuncType{Params: repeat(U8(), 17)}, []CoreType{I32}, nil, []CoreType{I32}, nil},
		{"16 u8 params", FuncType{Params: repeat(U8(), 16)}, cts(I32, 16), nil, cts(I32, 16), nil},
		{"17 params -> tuple<u8 u8>", FuncType{Params: repeat(U8(), 17), Results: []*Type{Tuple(U8(), U8())}},
			[]CoreType{I32}, []CoreType{I32}, []CoreType{I32, I32}, nil},
		{"string -> string", FuncType{Params: []*Type{String()}, Results: []*Type{String()}},
			[]CoreType{I32, I32}, []CoreType{I32}, []CoreType{I32, I32, I32}, nil},
		{"option<f32>", FuncType{Params: []*Type{Option(F32())}}, []CoreType{I32, F32Core}, nil, []CoreType{I32, F32Core}, nil},
		{"variant u32|f32", FuncType{Params: []*Type{Variant(Case{"a", U32()}, Case{"b", F32()})}}, []CoreType{I32, I32}, nil, []CoreType{I32, I32}, nil},
		{"variant f32|u64", FuncType{Params: []*Type{Variant(Case{"a", F32()}, Case{"b", U64()})}}, []CoreType{I32, I64}, nil, []CoreType{I32, I64}, nil},
		{"variant f64|f32 string", FuncType{Params: []*Type{Variant(Case{"a", F64()}, Case{"b", Tuple(F32(), String())})}},
			[]CoreType{I32, I64, I32, I32}, nil, []CoreType{I32, I64, I32, I32}, nil},
		{"result<_,_> enum flags", FuncType{Params: []*Type{Result(nil, nil), Enum("a"), Flags("x")}}, cts(I32, 3), nil, cts(I32, 3), nil},
		{"s64 u64 -> u64", FuncType{Params: []*Type{S64(), U64()}, Results: []*Type{U64()}}, cts(I64, 2), []CoreType{I64}, cts(I64, 2), []CoreType{I64}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lift := Flatten(&tc.ft, Lift)
			if !reflect.DeepEqual(lift, CoreFuncType{tc.liftP, tc.liftR}) {
				t.Errorf("lift: got %v, want %v -> %v", lift, tc.liftP, tc.liftR)
			}
			lower := Flatten(&tc.ft, Lower)
			if !reflect.DeepEqual(lower, CoreFuncType{tc.lowerP, tc.lowerR}) {
				t.Errorf("lower: got %v, want %v -> %v", lower, tc.lowerP, tc.lowerR)
			}
		})
	}
}

func TestNilTypes(t *testing.T) {
	cx, _ := newCx(make([]byte, 16), UTF8)
	_, err := cx.Load(0, nil)
	wantTrap(t, err)
	wantTrap(t, cx.Store(uint8(0), nil, 0))
	_, _, err = cx.LiftFlat([]uint64{0}, nil)
	wantTrap(t, err)
	_, err = cx.LowerFlat(uint8(0), nil)
	wantTrap(t, err)
	_, _, err = cx.LiftValues([]uint64{0}, []*Type{nil}, MaxFlatParams)
	wantTrap(t, err)
	_, err = cx.LowerValues([]any{uint8(0)}, []*Type{nil}, MaxFlatParams, nil)
	wantTrap(t, err)
	ft := &FuncType{Params: []*Type{nil}, Results: []*Type{nil}}
	if ft.Err() == nil {
		t.Fatal("FuncType with nil types is valid")
	}
	_ = Flatten(ft, Lower)
	if s := Option(nil).String(); s != "option<>" {
		t.Fatalf("String = %q", s)
	}
}

func TestTypeString(t *testing.T) {
	rt := &ResourceType{Name: "fields"}
	tests := []struct {
		t    *Type
		want string
	}{
		{List(Tuple(U8(), String())), "list<tuple<u8, string>>"},
		{Record(Field{"a", U32()}, Field{"b", Option(Char())}), "record<a: u32, b: option<char>>"},
		{Result(nil, Own(rt)), "result<ok, error: own<fields>>"},
		{Enum("x", "y"), "enum<x, y>"},
		{Flags("r", "w"), "flags<r, w>"},
		{Borrow(rt), "borrow<fields>"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := tc.t.String(); got != tc.want {
				t.Fatalf("String = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestAccessors(t *testing.T) {
	rt := &ResourceType{Name: "r"}
	rec := Record(Field{"a", U8()}, Field{"b", String()})
	if rec.Kind() != KindRecord || !reflect.DeepEqual(rec.Labels(), []string{"a", "b"}) || rec.Types()[1].Kind() != KindString {
		t.Fatalf("record accessors: %v %v %v", rec.Kind(), rec.Labels(), rec.Types())
	}
	if List(U16()).Elem().Kind() != KindU16 || Option(Char()).Elem().Kind() != KindChar || U8().Elem() != nil {
		t.Fatal("Elem")
	}
	if Own(rt).Resource() != rt || U8().Resource() != nil {
		t.Fatal("Resource")
	}
	if Kind(99).String() != "kind(99)" || CoreType(9).String() != "invalid" || StringEncoding(7).String() != "invalid" {
		t.Fatal("String of invalid enums")
	}
	if got := Flatten(&FuncType{Params: []*Type{F64(), S64()}}, Lift).Params; got[0].String() != "f64" || got[1].String() != "i64" {
		t.Fatalf("core types %v", got)
	}
	err := Record().Err()
	if err == nil || err.Error() != "canonical abi: invalid record type: it has no fields; the component model does not allow empty records or tuples" {
		t.Fatalf("Err = %v", err)
	}
}

func TestTrapMessages(t *testing.T) {
	cx, _ := newCx(make([]byte, 8), UTF8)
	_, _, err := cx.LiftFlat([]uint64{4, 100}, String())
	if err == nil || err.Error() != "component trap: string at 0x4 (100 bytes) is outside linear memory (8 bytes)" {
		t.Fatalf("err = %v", err)
	}
	cause := errors.New("unreachable executed")
	cx.Realloc = func(_, _, _, _ uint32) (uint32, error) { return 0, cause }
	_, err = cx.LowerFlat("x", String())
	if !errors.Is(err, cause) || err.Error() != "component trap: realloc failed while lowering a string: unreachable executed" {
		t.Fatalf("err = %v", err)
	}
}

func TestStoreMismatch(t *testing.T) {
	tests := []struct {
		name string
		t    *Type
		v    any
	}{
		{"string", String(), 1},
		{"list", List(U32()), []uint32{1}},
		{"bytes for list<u16>", List(U16()), []byte{1}},
		{"record", Tuple(U8(), U8()), []any{uint8(1)}},
		{"variant", Option(U8()), uint8(1)},
		{"variant payload", Option(U8()), VariantValue{1, "x"}},
		{"bool", Bool(), 1},
		{"s8", S8(), uint8(1)},
		{"f32", F32(), 1.5},
		{"char", Char(), 'x' + 0x110000},
		{"own", Own(&ResourceType{}), int(1)},
		{"enum", Enum("a"), 0},
		{"flags", Flags("a"), uint8(1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cx, _ := newCx(make([]byte, 16), UTF8)
			wantTrap(t, cx.Store(tc.v, tc.t, 0))
		})
	}
}
