package canon

import (
	"bytes"
	"reflect"
	"strconv"
	"testing"
)

// TestFlatCount: flatCount counts what flattenTypes builds, up to the
// limit it stops at, for lists of every length around the limits.
func TestFlatCount(t *testing.T) {
	wide := Tuple(String(), String(), String(), String(), String(), String(), String(), String(), String()) // 18 flat
	for _, tc := range []struct {
		name string
		ts   []*Type
	}{
		{"none", nil},
		{"one string", []*Type{String()}},
		{"a nil type", []*Type{nil, Bool()}},
		{"a wide tuple", []*Type{wide}},
		{"wide tuples past the limit", []*Type{wide, wide, wide, Char()}},
		{"a list of options", []*Type{List(Option(Char())), Result(String(), Bool())}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, want := flatCount(tc.ts), len(flattenTypes(tc.ts)); got != want {
				t.Fatalf("flatCount = %d, len(flattenTypes) = %d", got, want)
			}
		})
	}
	for n := range 40 {
		ts := make([]*Type, n)
		for i := range ts {
			ts[i] = Char()
		}
		t.Run(strconv.Itoa(n)+" chars", func(t *testing.T) {
			if got, want := flatCount(ts), len(flattenTypes(ts)); got != want {
				t.Fatalf("flatCount = %d, len(flattenTypes) = %d", got, want)
			}
		})
	}
}

// TestSpilledResultIsStoredAsItsTuple: LowerValues stores one spilled
// value as itself, where it stored a tuple of it: the bytes written, the
// pointer and the realloc calls must be the same, and a type nested as
// deep as a tuple of it may not be still traps.
func TestSpilledResultIsStoredAsItsTuple(t *testing.T) {
	deep := Char()
	for deep.depth < MaxTypeDepth {
		deep = List(deep)
	}
	for _, tc := range []struct {
		name string
		t    *Type
		v    any
	}{
		{"string", String(), "hello"},
		{"result of u64 or string", Result(U64(), String()), VariantValue{Case: 0, Value: uint64(1 << 40)}},
		{"record", Record(Field{Name: "a", Type: U8()}, Field{Name: "b", Type: String()}), []any{uint8(7), "x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fast, fa := newCx(make([]byte, 64), UTF8)
			out, err := fast.LowerValues([]any{tc.v}, []*Type{tc.t}, 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			slow, sa := newCx(make([]byte, 64), UTF8)
			tt := Tuple(tc.t)
			p, err := slow.realloc(0, 0, tt.align, tt.size, "spilled values")
			if err != nil {
				t.Fatal(err)
			}
			if err := slow.store([]any{tc.v}, tt, p); err != nil {
				t.Fatal(err)
			}
			if len(out) != 1 || uint32(out[0]) != p || !bytes.Equal(fa.mem.b, sa.mem.b) || !reflect.DeepEqual(fa.calls, sa.calls) {
				t.Fatalf("stored as itself: %v %x %v; as a tuple: %d %x %v", out, fa.mem.b, fa.calls, p, sa.mem.b, sa.calls)
			}
		})
	}
	t.Run("a type too deep for a tuple", func(t *testing.T) {
		cx, _ := newCx(nil, UTF8)
		_, err := cx.LowerValues([]any{[]any{}}, []*Type{deep}, 0, nil)
		wantTrap(t, err)
	})
}
