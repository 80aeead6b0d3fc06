package canon_test

import (
	"fmt"

	"github.com/wisphq/wisp/internal/component/canon"
)

// sliceMemory is a fixed linear memory for the example.
type sliceMemory []byte

func (m sliceMemory) Read(off, n uint32) ([]byte, bool) {
	if uint64(off)+uint64(n) > uint64(len(m)) {
		return nil, false
	}
	return m[off : off+n], true
}

func (m sliceMemory) Write(off uint32, v []byte) bool {
	if uint64(off)+uint64(len(v)) > uint64(len(m)) {
		return false
	}
	copy(m[off:], v)
	return true
}

func (m sliceMemory) Size() uint32 { return uint32(len(m)) }

// A host calls a guest export get: func(key: string) -> option<list<u8>>,
// the way the component runtime will.
func Example() {
	mem := sliceMemory(make([]byte, 1024))
	next := uint32(16)
	inst := canon.NewInstance(nil)
	cx := &canon.Context{
		Memory:   mem,
		Encoding: canon.UTF8,
		Realloc: func(old, oldSize, align, newSize uint32) (uint32, error) {
			p := (next + align - 1) &^ (align - 1) // a toy bump allocator
			next = p + newSize
			return p, nil
		},
		Instance: inst,
		Task:     &canon.Task{},
	}
	ft := &canon.FuncType{
		Params:  []*canon.Type{canon.String()},
		Results: []*canon.Type{canon.Option(canon.List(canon.U8()))},
	}
	fmt.Println("core signature:", canon.Flatten(ft, canon.Lift))

	if err := inst.Enter(nil); err != nil {
		fmt.Println("error:", err)
		return
	}
	defer inst.Leave(nil)
	args, err := cx.LowerParams(ft, []any{"greeting"})
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Println("core arguments:", args)

	// The guest's core function would run here; say it wrote
	// some("hi") at 64 and returned 64.
	mem.Write(64, []byte{1, 0, 0, 0, 80, 0, 0, 0, 2, 0, 0, 0})
	mem.Write(80, []byte("hi"))
	results, err := cx.LiftResults(ft, []uint64{64})
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	opt := results[0].(canon.VariantValue)
	fmt.Printf("result: case %d, %q\n", opt.Case, opt.Value)

	if err := cx.PostReturn(nil, []uint64{64}); err != nil {
		fmt.Println("error:", err)
		return
	}
	if err := cx.Task.Return(); err != nil {
		fmt.Println("error:", err)
		return
	}
	// Output:
	// core signature: {[i32 i32] [i32]}
	// core arguments: [16 8]
	// result: case 1, "hi"
}
