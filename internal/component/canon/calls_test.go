package canon

import (
	"errors"
	"reflect"
	"testing"
)

func TestSpilledParams(t *testing.T) {
	ft := &FuncType{Params: repeat(U32(), 17), Results: []*Type{String()}}
	args := make([]any, 17)
	for i := range args {
		args[i] = uint32(i * 3)
	}
	cx, a := newCx(nil, UTF8)
	flat, err := cx.LowerParams(ft, args)
	if err != nil {
		t.Fatal(err)
	}
	if len(flat) != 1 || len(a.calls) != 1 || a.calls[0] != [4]uint32{0, 0, 4, 68} {
		t.Fatalf("flat %v, realloc calls %v; want one pointer to 68 bytes", flat, a.calls)
	}
	// The guest side of the same call lifts them back from the pointer.
	got, err := cx.LiftParams(ft, flat)
	if err != nil || !reflect.DeepEqual(got, args) {
		t.Fatalf("LiftParams = %v, %v", got, err)
	}
	// Results: a string spills, and the guest passed where to put it.
	out := flat[0] // reuse: 68 bytes is room enough
	res, err := cx.LowerResults(ft, []uint64{flat[0], out}, []any{"hello"})
	if err != nil || len(res) != 0 {
		t.Fatalf("LowerResults = %v, %v", res, err)
	}
	back, err := cx.LiftResults(ft, []uint64{out})
	if err != nil || !reflect.DeepEqual(back, []any{"hello"}) {
		t.Fatalf("LiftResults = %v, %v", back, err)
	}
}

func TestFlatResults(t *testing.T) {
	ft := &FuncType{Params: []*Type{String(), List(U8())}, Results: []*Type{U32()}}
	cx, _ := newCx(nil, UTF8)
	flat, err := cx.LowerParams(ft, []any{"key", []byte("value")})
	if err != nil || len(flat) != 4 {
		t.Fatalf("LowerParams = %v, %v", flat, err)
	}
	args, err := cx.LiftParams(ft, flat)
	if err != nil || !reflect.DeepEqual(args, []any{"key", []byte("value")}) {
		t.Fatalf("LiftParams = %v, %v", args, err)
	}
	res, err := cx.LowerResults(ft, flat, []any{uint32(9)})
	if err != nil || !equalU64(res, []uint64{9}) {
		t.Fatalf("LowerResults = %v, %v", res, err)
	}
	back, err := cx.LiftResults(ft, res)
	if err != nil || !reflect.DeepEqual(back, []any{uint32(9)}) {
		t.Fatalf("LiftResults = %v, %v", back, err)
	}
}

func TestCallTraps(t *testing.T) {
	str := &FuncType{Results: []*Type{String()}}
	tests := []struct {
		name string
		run  func(cx *Context) error
	}{
		{"spilled results misaligned", func(cx *Context) error { _, err := cx.LiftResults(str, []uint64{2}); return err }},
		{"spilled results out of bounds", func(cx *Context) error { _, err := cx.LiftResults(str, []uint64{12}); return err }},
		{"spilled results pointer missing", func(cx *Context) error { _, err := cx.LiftResults(str, nil); return err }},
		{"out pointer missing", func(cx *Context) error { _, err := cx.LowerResults(str, nil, []any{"x"}); return err }},
		{"out pointer out of bounds", func(cx *Context) error {
			_, err := cx.LowerResults(str, []uint64{1 << 20}, []any{"x"})
			return err
		}},
		{"realloc fails", func(cx *Context) error {
			cx.Realloc = func(_, _, _, _ uint32) (uint32, error) { return 0, errors.New("guest trapped") }
			_, err := cx.LowerFlat("x", String())
			return err
		}},
		{"realloc returns out of bounds", func(cx *Context) error {
			cx.Realloc = func(_, _, _, _ uint32) (uint32, error) { return 15, nil }
			_, err := cx.LowerFlat([]byte("xy"), List(U8()))
			return err
		}},
		{"realloc returns misaligned", func(cx *Context) error {
			cx.Realloc = func(_, _, _, _ uint32) (uint32, error) { return 1, nil }
			_, err := cx.LowerFlat([]any{uint32(1)}, List(U32()))
			return err
		}},
		{"no realloc", func(cx *Context) error {
			cx.Realloc = nil
			_, err := cx.LowerFlat("x", String())
			return err
		}},
		{"no memory", func(cx *Context) error {
			cx.Memory = nil
			_, _, err := cx.LiftFlat([]uint64{0, 0}, String())
			return err
		}},
		{"post-return fails", func(cx *Context) error {
			return cx.PostReturn(func([]uint64) error { return errors.New("guest trapped") }, nil)
		}},
		{"host value of the wrong type", func(cx *Context) error { _, err := cx.LowerFlat(int(1), U32()); return err }},
		{"host record of the wrong length", func(cx *Context) error {
			_, err := cx.LowerFlat([]any{uint8(1)}, Tuple(U8(), U8()))
			return err
		}},
		{"host variant case out of range", func(cx *Context) error {
			_, err := cx.LowerFlat(VariantValue{Case: 2}, Option(U8()))
			return err
		}},
		{"host enum out of range", func(cx *Context) error { _, err := cx.LowerFlat(uint32(2), Enum("a", "b")); return err }},
		{"host flags beyond labels", func(cx *Context) error { _, err := cx.LowerFlat(uint32(4), Flags("a", "b")); return err }},
		{"host char surrogate", func(cx *Context) error { _, err := cx.LowerFlat(rune(0xD800), Char()); return err }},
		{"host string invalid utf-8", func(cx *Context) error { _, err := cx.LowerFlat("\xff", String()); return err }},
		{"host values count", func(cx *Context) error {
			_, err := cx.LowerValues([]any{uint8(1)}, nil, MaxFlatParams, nil)
			return err
		}},
		{"type too wide to flatten", func(cx *Context) error {
			_, _, err := cx.LiftFlat(make([]uint64, 17), Tuple(repeat(U8(), 17)...))
			return err
		}},
		{"invalid function type", func(cx *Context) error {
			_, err := cx.LowerParams(&FuncType{Results: []*Type{U8(), U8()}}, nil)
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cx, _ := newCx(make([]byte, 16), UTF8)
			wantTrap(t, tc.run(cx))
		})
	}
}

func TestPostReturnBlocksCallsOut(t *testing.T) {
	cx, _ := newCx(nil, UTF8)
	var during error
	var got []uint64
	err := cx.PostReturn(func(flat []uint64) error { got = flat; during = cx.Instance.MayLeave(); return nil }, []uint64{7})
	if err != nil || !equalU64(got, []uint64{7}) {
		t.Fatalf("PostReturn = %v, got %v", err, got)
	}
	wantTrap(t, during)
	if err := cx.Instance.MayLeave(); err != nil {
		t.Fatalf("after post-return: %v", err)
	}
	if err := cx.PostReturn(nil, nil); err != nil {
		t.Fatal(err)
	}
}
