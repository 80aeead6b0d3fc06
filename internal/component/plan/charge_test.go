package plan

import (
	"context"
	"testing"

	"github.com/wisphq/wisp/internal/component/canon"
)

// sliceMemory is a canon.Memory over a byte slice.
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

// TestChargedMemory: with Run.Charge set, a host call's reads and writes
// of the guest's memory are charged, in chunks, before they are done: many
// small reads add up as one large one does.
func TestChargedMemory(t *testing.T) {
	var charged uint64
	r := &Run{Graph: memGraph{make(sliceMemory, 1<<20)}, Charge: func(_ context.Context, n uint64) { charged += n }}
	cx, err := r.context(context.Background(), &Options{Memory: &Item{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		do   func()
		want uint64 // at least, charged by the end
	}{
		{"one large write", func() { cx.Memory.Write(0, make([]byte, 1<<20)) }, 1 << 20},
		{"many small reads", func() {
			for i := range uint32(1 << 18) {
				cx.Memory.Read(i, 4)
			}
		}, 1<<20 - chargeChunk},
	} {
		t.Run(tc.name, func(t *testing.T) {
			charged = 0
			tc.do()
			if charged < tc.want {
				t.Fatalf("charged %d bytes, want at least %d", charged, tc.want)
			}
		})
	}
	// Without Charge, the memory is the graph's own.
	r.Charge = nil
	if cx, _ := r.context(context.Background(), &Options{Memory: &Item{}}); cx.Memory == nil {
		t.Fatal("no memory")
	} else if _, ok := cx.Memory.(sliceMemory); !ok {
		t.Fatalf("memory is a %T without Charge", cx.Memory)
	}
}

// memGraph is a Graph of one memory and no functions.
type memGraph struct{ m sliceMemory }

func (g memGraph) Memory(int, string) (canon.Memory, bool) { return g.m, true }
func (g memGraph) Call(context.Context, int, string, []uint64) ([]uint64, error) {
	return nil, nil
}
