package canon

import (
	"errors"
	"testing"
)

// testMemory is a linear memory over a byte slice; it grows when the bump
// allocator needs room, up to limit bytes.
type testMemory struct {
	b     []byte
	limit int
}

func (m *testMemory) Read(off, n uint32) ([]byte, bool) {
	if uint64(off)+uint64(n) > uint64(len(m.b)) {
		return nil, false
	}
	return m.b[off : off+n], true
}

func (m *testMemory) Write(off uint32, v []byte) bool {
	if uint64(off)+uint64(len(v)) > uint64(len(m.b)) {
		return false
	}
	copy(m.b[off:], v)
	return true
}

func (m *testMemory) Size() uint32 { return uint32(len(m.b)) }

// bump is a realloc that allocates upwards from next, copying the old
// contents like a real realloc, and records its calls.
type bump struct {
	mem   *testMemory
	next  uint32
	calls [][4]uint32
}

func (a *bump) realloc(old, oldSize, align, newSize uint32) (uint32, error) {
	a.calls = append(a.calls, [4]uint32{old, oldSize, align, newSize})
	if align == 0 || align&(align-1) != 0 {
		return 0, errors.New("bad alignment")
	}
	p := alignTo(a.next, align)
	end := uint64(p) + uint64(newSize)
	if end > uint64(a.mem.limit) {
		return 0, errors.New("out of memory")
	}
	if end > uint64(len(a.mem.b)) {
		a.mem.b = append(a.mem.b, make([]byte, int(end)-len(a.mem.b))...)
	}
	if oldSize > 0 {
		copy(a.mem.b[p:], a.mem.b[old:old+min(oldSize, newSize)])
	}
	a.next = uint32(end)
	return p, nil
}

// newCx returns a context over memory holding init, with a bump realloc
// allocating after it.
func newCx(init []byte, enc StringEncoding) (*Context, *bump) {
	m := &testMemory{b: append([]byte(nil), init...), limit: 1 << 24}
	a := &bump{mem: m, next: uint32(len(init))}
	return &Context{Memory: m, Encoding: enc, Realloc: a.realloc, Instance: NewInstance(nil), Task: &Task{}, Subtask: &Subtask{}}, a
}

func wantTrap(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("want a trap, got no error")
	}
	if !IsTrap(err) {
		var te *TypeError
		if !errors.As(err, &te) {
			t.Fatalf("want a *Trap, got %T: %v", err, err)
		}
	}
}
