package canon

import (
	"encoding/binary"
	"reflect"
	"strings"
	"testing"
	"unicode/utf16"
)

// TestHeap mirrors run_tests.py's test_heap cases: a (ptr, len) pair lifted
// as a list from memory holding bytes gives a value (nil: a trap).
func TestHeap(t *testing.T) {
	f9, f17, f32 := Flags(labels(9)...), Flags(labels(17)...), Flags(labels(32)...)
	tests := []struct {
		name string
		t    *Type
		flat []uint64
		mem  []byte
		want any
	}{
		{"bools", List(Bool()), []uint64{0, 3}, []byte{1, 0, 1}, []any{true, false, true}},
		{"bool 2 is true", List(Bool()), []uint64{0, 3}, []byte{1, 0, 2}, []any{true, false, true}},
		{"bools at 3", List(Bool()), []uint64{3, 3}, []byte{0xff, 0xff, 0xff, 1, 0, 1}, []any{true, false, true}},
		{"u8", List(U8()), []uint64{0, 3}, []byte{1, 2, 3}, []byte{1, 2, 3}},
		{"u16", List(U16()), []uint64{0, 3}, []byte{1, 0, 2, 0, 3, 0}, []any{uint16(1), uint16(2), uint16(3)}},
		{"u16 misaligned traps", List(U16()), []uint64{1, 3}, []byte{0, 1, 0, 2, 0, 3, 0}, nil},
		{"u32", List(U32()), []uint64{0, 3}, []byte{1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0}, []any{uint32(1), uint32(2), uint32(3)}},
		{"u64", List(U64()), []uint64{0, 2}, []byte{1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0}, []any{uint64(1), uint64(2)}},
		{"s8", List(S8()), []uint64{0, 3}, []byte{0xff, 0xfe, 0xfd}, []any{int8(-1), int8(-2), int8(-3)}},
		{"s16", List(S16()), []uint64{0, 3}, []byte{0xff, 0xff, 0xfe, 0xff, 0xfd, 0xff}, []any{int16(-1), int16(-2), int16(-3)}},
		{"s32", List(S32()), []uint64{0, 3}, []byte{0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff, 0xfd, 0xff, 0xff, 0xff}, []any{int32(-1), int32(-2), int32(-3)}},
		{"s64", List(S64()), []uint64{0, 2}, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, []any{int64(-1), int64(-2)}},
		{"chars", List(Char()), []uint64{0, 3}, []byte{65, 0, 0, 0, 66, 0, 0, 0, 99, 0, 0, 0}, []any{'A', 'B', 'c'}},
		{"strings", List(String()), []uint64{0, 2},
			[]byte{16, 0, 0, 0, 2, 0, 0, 0, 21, 0, 0, 0, 3, 0, 0, 0, 'h', 'i', 0xf, 0xf, 0xf, 'w', 'a', 't'}, []any{"hi", "wat"}},
		{"lists of u8", List(List(U8())), []uint64{0, 3},
			[]byte{24, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 27, 0, 0, 0, 2, 0, 0, 0, 3, 4, 5, 6, 7}, []any{[]byte{3, 4, 5}, []byte{}, []byte{6, 7}}},
		{"lists of u16", List(List(U16())), []uint64{0, 1}, []byte{8, 0, 0, 0, 2, 0, 0, 0, 5, 0, 6, 0}, []any{[]any{uint16(5), uint16(6)}}},
		{"inner list misaligned traps", List(List(U16())), []uint64{0, 1}, []byte{9, 0, 0, 0, 2, 0, 0, 0, 0, 5, 0, 6, 0}, nil},
		{"tuples u8 u8 u16 u32", List(Tuple(U8(), U8(), U16(), U32())), []uint64{0, 2},
			[]byte{6, 7, 8, 0, 9, 0, 0, 0, 4, 5, 6, 0, 7, 0, 0, 0},
			[]any{[]any{uint8(6), uint8(7), uint16(8), uint32(9)}, []any{uint8(4), uint8(5), uint16(6), uint32(7)}}},
		{"tuples u8 u16 u8 u32", List(Tuple(U8(), U16(), U8(), U32())), []uint64{0, 2},
			[]byte{6, 0xff, 7, 0, 8, 0xff, 0xff, 0xff, 9, 0, 0, 0, 4, 0xff, 5, 0, 6, 0xff, 0xff, 0xff, 7, 0, 0, 0},
			[]any{[]any{uint8(6), uint16(7), uint8(8), uint32(9)}, []any{uint8(4), uint16(5), uint8(6), uint32(7)}}},
		{"tuples u16 u8", List(Tuple(U16(), U8())), []uint64{0, 2}, []byte{6, 0, 7, 0xff, 8, 0, 9, 0xff},
			[]any{[]any{uint16(6), uint8(7)}, []any{uint16(8), uint8(9)}}},
		{"nested tuples", List(Tuple(Tuple(U16(), U8()), U8())), []uint64{0, 2}, []byte{4, 0, 5, 0xff, 6, 0xff, 7, 0, 8, 0xff, 9, 0xff},
			[]any{[]any{[]any{uint16(4), uint8(5)}, uint8(6)}, []any{[]any{uint16(7), uint8(8)}, uint8(9)}}},
		{"flags 2", List(Flags("a", "b")), []uint64{0, 3}, []byte{0, 2, 3}, []any{uint32(0), uint32(2), uint32(3)}},
		{"flags 2 extra bit", List(Flags("a", "b")), []uint64{0, 3}, []byte{0, 2, 4}, []any{uint32(0), uint32(2), uint32(0)}},
		{"flags 9", List(f9), []uint64{0, 2}, []byte{0xff, 0x1, 0, 0}, []any{uint32(0x1ff), uint32(0)}},
		{"flags 9 extra bit", List(f9), []uint64{0, 2}, []byte{0xff, 0x3, 0, 0}, []any{uint32(0x1ff), uint32(0)}},
		{"flags 17", List(f17), []uint64{0, 2}, []byte{0xff, 0xff, 0x1, 0, 0, 0, 0, 0}, []any{uint32(0x1ffff), uint32(0)}},
		{"flags 17 extra bit", List(f17), []uint64{0, 2}, []byte{0xff, 0xff, 0x3, 0, 0, 0, 0, 0}, []any{uint32(0x1ffff), uint32(0)}},
		{"flags 32", List(f32), []uint64{0, 2}, []byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}, []any{uint32(0xffffffff), uint32(0)}},
		{"option u32", List(Option(U32())), []uint64{0, 2}, []byte{1, 0, 0, 0, 7, 0, 0, 0, 0, 9, 9, 9, 9, 9, 9, 9},
			[]any{VariantValue{1, uint32(7)}, VariantValue{0, nil}}},
		{"variant bad discriminant traps", List(Option(U32())), []uint64{0, 1}, []byte{2, 0, 0, 0, 7, 0, 0, 0}, nil},
		{"enum 257 cases uses u16", List(Enum(labels(257)...)), []uint64{0, 2}, []byte{0, 1, 1, 0}, []any{uint32(256), uint32(1)}},
		{"enum 257 bad discriminant traps", List(Enum(labels(257)...)), []uint64{0, 1}, []byte{1, 1}, nil},
		{"char surrogate traps", List(Char()), []uint64{0, 1}, []byte{0, 0xd8, 0, 0}, nil},
		{"list past the end traps", List(U32()), []uint64{0, 2}, []byte{1, 0, 0, 0}, nil},
		{"list length overflow traps", List(U64()), []uint64{0, 0xffffffff}, []byte{0}, nil},
		{"list over the byte limit traps", List(U8()), []uint64{0, MaxListByteLength + 1}, []byte{0}, nil},
		{"list at pointer overflow traps", List(U8()), []uint64{0xffffffff, 2}, []byte{0}, nil},
		{"string past the end traps", List(String()), []uint64{0, 1}, []byte{8, 0, 0, 0, 5, 0, 0, 0, 'a'}, nil},
		{"invalid utf-8 traps", List(String()), []uint64{0, 1}, []byte{8, 0, 0, 0, 2, 0, 0, 0, 0xc3, 0x28}, nil},
		{"utf-8 surrogate traps", List(String()), []uint64{0, 1}, []byte{8, 0, 0, 0, 3, 0, 0, 0, 0xed, 0xa0, 0x80}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cx, _ := newCx(tc.mem, UTF8)
			got, _, err := cx.LiftFlat(tc.flat, tc.t)
			if tc.want == nil {
				wantTrap(t, err)
				return
			}
			if err != nil {
				t.Fatalf("LiftFlat: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("LiftFlat = %#v, want %#v", got, tc.want)
			}
			roundTrip(t, cx, tc.t, got)
		})
	}
}

func TestLoadStoreRange(t *testing.T) {
	tests := []struct {
		name string
		ptr  uint32
		t    *Type
	}{
		{"misaligned u32", 2, U32()},
		{"misaligned string", 1, String()},
		{"past the end", 8, U64()},
		{"wraps around", 0xfffffffc, U64()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cx, _ := newCx(make([]byte, 12), UTF8)
			_, err := cx.Load(tc.ptr, tc.t)
			wantTrap(t, err)
			wantTrap(t, cx.Store(uint64(0), tc.t, tc.ptr))
		})
	}
}

// funStrings are run_tests.py's strings for every pair of encodings.
var funStrings = []string{"", "a", "hi", "\x00", "a\x00b", "\u0080", "\u0080b", "ab\u00efc",
	"\u01ffy", "xy\u01ff", "a\ud7ffb", "a\u02ff\u03ff\u04ffbc",
	"\uf123", "\uf123\uf123abc", "abcdef\uf123", "\U0001F600 emoji", strings.Repeat("long ", 100)}

func encodeAs(s string, enc StringEncoding, latin bool) ([]byte, uint32) {
	switch {
	case enc == UTF8:
		return []byte(s), uint32(len(s))
	case enc == Latin1UTF16 && latin:
		var b []byte
		for _, r := range s {
			b = append(b, byte(r))
		}
		return b, uint32(len(b))
	}
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	n := uint32(len(b) / 2)
	if enc == Latin1UTF16 {
		n |= utf16Tag
	}
	return b, n
}

func isLatin1(s string) bool {
	for _, r := range s {
		if r > 0xff {
			return false
		}
	}
	return true
}

func TestStrings(t *testing.T) {
	for _, enc := range []StringEncoding{UTF8, UTF16, Latin1UTF16} {
		for _, s := range funStrings {
			for _, latin := range []bool{false, true} {
				if latin && (enc != Latin1UTF16 || !isLatin1(s)) {
					continue
				}
				t.Run(enc.String()+" "+s[:min(len(s), 12)], func(t *testing.T) {
					b, n := encodeAs(s, enc, latin)
					cx, _ := newCx(b, enc)
					got, _, err := cx.LiftFlat([]uint64{0, uint64(n)}, String())
					if err != nil || got != s {
						t.Fatalf("LiftFlat = %q, %v; want %q", got, err, s)
					}
					flat, err := cx.LowerFlat(s, String())
					if err != nil {
						t.Fatal(err)
					}
					wantB, wantN := encodeAs(s, enc, enc == Latin1UTF16 && isLatin1(s))
					if uint32(flat[1]) != wantN {
						t.Errorf("lowered length %#x, want %#x", flat[1], wantN)
					}
					if mem, ok := cx.Memory.Read(uint32(flat[0]), uint32(len(wantB))); !ok || string(mem) != string(wantB) {
						t.Errorf("lowered bytes %x, want %x", mem, wantB)
					}
					roundTrip(t, cx, String(), s)
				})
			}
		}
	}
}

func TestStringTraps(t *testing.T) {
	tests := []struct {
		name string
		enc  StringEncoding
		mem  []byte
		flat []uint64
	}{
		{"utf8 invalid", UTF8, []byte{0xff}, []uint64{0, 1}},
		{"utf8 truncated", UTF8, []byte{0xe2, 0x82}, []uint64{0, 2}},
		{"utf8 past the end", UTF8, []byte{'a'}, []uint64{0, 2}},
		{"utf8 over the limit", UTF8, []byte{'a'}, []uint64{0, MaxStringByteLength + 1}},
		{"utf16 lone high surrogate", UTF16, []byte{0x00, 0xd8, 'a', 0}, []uint64{0, 2}},
		{"utf16 lone low surrogate", UTF16, []byte{0x00, 0xdc}, []uint64{0, 1}},
		{"utf16 high surrogate at end", UTF16, []byte{'a', 0, 0x00, 0xd8}, []uint64{0, 2}},
		{"utf16 misaligned", UTF16, []byte{0, 'a', 0}, []uint64{1, 1}},
		{"utf16 length overflows", UTF16, []byte{0}, []uint64{0, 0x80000000}},
		{"latin1 misaligned", Latin1UTF16, []byte{0, 'a'}, []uint64{1, 1}},
		{"latin1+utf16 tagged surrogate", Latin1UTF16, []byte{0x00, 0xd8}, []uint64{0, 1 | utf16Tag}},
		{"latin1+utf16 tagged past the end", Latin1UTF16, []byte{'a', 0}, []uint64{0, 2 | utf16Tag}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cx, _ := newCx(tc.mem, tc.enc)
			_, _, err := cx.LiftFlat(tc.flat, String())
			wantTrap(t, err)
		})
	}
}

func TestReallocCalls(t *testing.T) {
	tests := []struct {
		name  string
		enc   StringEncoding
		s     string
		calls [][4]uint32 // with the bump allocator starting at 0
	}{
		{"utf8 copy", UTF8, "abc", [][4]uint32{{0, 0, 1, 3}}},
		{"utf16 shrinks", UTF16, "héllo", [][4]uint32{{0, 0, 2, 12}, {0, 12, 2, 10}}},
		{"utf16 exact", UTF16, "", [][4]uint32{{0, 0, 2, 0}}},
		{"latin1 shrinks", Latin1UTF16, "héllo", [][4]uint32{{0, 0, 2, 6}, {0, 6, 2, 5}}},
		{"latin1 grows to utf16", Latin1UTF16, "a\u01ff", [][4]uint32{{0, 0, 2, 3}, {0, 3, 2, 6}, {4, 6, 2, 4}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cx, a := newCx(nil, tc.enc)
			if _, err := cx.LowerFlat(tc.s, String()); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a.calls, tc.calls) {
				t.Fatalf("realloc calls %v, want %v", a.calls, tc.calls)
			}
		})
	}
}

func TestLiftLimit(t *testing.T) {
	// A list of 1000 strings that all point at the same 1000 bytes: legal
	// memory, but lifting it would copy 1 MB out of 9 KB.
	mem := make([]byte, 8000+1000)
	for i := range 1000 {
		binary.LittleEndian.PutUint32(mem[8*i:], 8000)
		binary.LittleEndian.PutUint32(mem[8*i+4:], 1000)
	}
	for i := 8000; i < 9000; i++ {
		mem[i] = 'a'
	}
	cx, _ := newCx(mem, UTF8)
	_, _, err := cx.LiftFlat([]uint64{0, 1000}, List(String()))
	wantTrap(t, err)
	// Under an explicit, higher limit it lifts.
	cx.LiftLimit = 2 << 20
	v, _, err := cx.LiftFlat([]uint64{0, 1000}, List(String()))
	if err != nil || len(v.([]any)) != 1000 {
		t.Fatalf("with a higher limit: %v", err)
	}
	// The budget is per lift, not per context.
	cx.LiftLimit = 0
	for range 3 {
		if _, _, err := cx.LiftFlat([]uint64{0, 8}, List(String())); err != nil {
			t.Fatal(err)
		}
	}
}
