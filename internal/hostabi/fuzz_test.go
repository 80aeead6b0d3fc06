package hostabi_test

import (
	"context"
	"encoding/binary"
	"testing"

	"github.com/wisphq/wisp/internal/engine"
	"github.com/wisphq/wisp/internal/hostabi"
	"github.com/wisphq/wisp/internal/hostabi/hostabitest"
)

// fuzzMemory is a small linear memory with wazero's bounds rules.
type fuzzMemory struct{ b []byte }

func (m *fuzzMemory) ok(off, n uint32) bool { return uint64(off)+uint64(n) <= uint64(len(m.b)) }
func (m *fuzzMemory) Read(off, n uint32) ([]byte, bool) {
	if !m.ok(off, n) {
		return nil, false
	}
	return m.b[off : off+n : off+n], true
}
func (m *fuzzMemory) Write(off uint32, v []byte) bool {
	if !m.ok(off, uint32(len(v))) || uint64(len(v)) > uint64(^uint32(0)) {
		return false
	}
	copy(m.b[off:], v)
	return true
}
func (m *fuzzMemory) ReadUint32Le(off uint32) (uint32, bool) {
	if !m.ok(off, 4) {
		return 0, false
	}
	return binary.LittleEndian.Uint32(m.b[off:]), true
}
func (m *fuzzMemory) WriteUint32Le(off, v uint32) bool {
	if !m.ok(off, 4) {
		return false
	}
	binary.LittleEndian.PutUint32(m.b[off:], v)
	return true
}
func (m *fuzzMemory) WriteUint64Le(off uint32, v uint64) bool {
	if !m.ok(off, 8) {
		return false
	}
	binary.LittleEndian.PutUint64(m.b[off:], v)
	return true
}
func (m *fuzzMemory) Size() uint32 { return uint32(len(m.b)) }

// FuzzHostCalls calls every host function of the ABI with arbitrary
// arguments over an arbitrary memory (reached only through its
// bounds-checked methods, as in wazero): none may panic or return a status
// that is not a defined code (the ABI's 0-9, WAGI's 0-13).
func FuzzHostCalls(f *testing.F) {
	f.Add(uint8(0), []byte("default\x00k\x00value"), uint64(0), uint64(7), uint64(100), uint64(0xffffffff))
	f.Add(uint8(3), []byte("Name: v\nX: y"), uint64(0), uint64(12), uint64(4), uint64(16))
	f.Add(uint8(9), []byte("user\x00ana\x00"), uint64(2), uint64(0), uint64(0), uint64(10))
	mods := hostabi.Modules()
	var funcs []engine.HostFunc
	for _, m := range mods {
		funcs = append(funcs, m.Funcs...)
	}
	f.Fuzz(func(t *testing.T, which uint8, mem []byte, a, b, c, d uint64) {
		fn := funcs[int(which)%len(funcs)]
		svc := hostabitest.New()
		svc.Data["k"] = []byte("v")
		call := hostabi.NewCall(svc)
		defer call.Close()
		ctx := context.Background()
		ctx = engine.WithHostData(ctx, call)
		m := &fuzzMemory{b: make([]byte, len(mem)+64)}
		copy(m.b, mem)
		size := len(m.b)
		stack := make([]uint64, max(len(fn.Params), len(fn.Results)))
		args := []uint64{a, b, c, d, a ^ b, b ^ c, c ^ d, a + d, b + c, a}
		for i := range fn.Params {
			stack[i] = args[i%len(args)]
			if fn.Params[i] == engine.I32 {
				stack[i] &= 0xffffffff
			}
		}
		fn.Fn(ctx, m, stack)
		if len(m.b) != size {
			t.Fatalf("%s changed the memory's size", fn.Name)
		}
		if st := uint32(stack[0]); st > 13 {
			t.Fatalf("%s returned status %d", fn.Name, st)
		}
	})
}
