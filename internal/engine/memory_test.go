package engine

import (
	"bytes"
	"testing"
)

func TestClassOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    uint64
		want int
	}{
		{"empty", 0, 0},
		{"one page", pageSize, 0},
		{"just over one page", pageSize + 1, 1},
		{"two pages", 2 * pageSize, 1},
		{"three pages", 3 * pageSize, 2},
		{"largest pooled", pageSize << (pooledClasses - 1), pooledClasses - 1},
		{"too large", pageSize<<(pooledClasses-1) + 1, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := classOf(tc.n); got != tc.want {
				t.Errorf("classOf(%d) = %d, want %d", tc.n, got, tc.want)
			}
		})
	}
}

// TestInstanceMemoryIsZeroOnReuse dirties memories in every way an instance
// can (writes, growth within the buffer, growth into a new buffer) and
// checks the next memory from the pool is all zero.
func TestInstanceMemoryIsZeroOnReuse(t *testing.T) {
	for _, tc := range []struct {
		name  string
		sizes []uint64 // Reallocate calls; each is dirtied completely
	}{
		{"one page", []uint64{pageSize}},
		{"grow within the class", []uint64{3 * pageSize, 4 * pageSize}},
		{"grow into a larger class", []uint64{pageSize, 5 * pageSize}},
		{"grow beyond pooling", []uint64{pageSize, 100 << 20}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pool := &memoryPool{}
			for round := range 3 {
				m := &instanceMemory{pool: pool}
				var prev []byte
				for _, size := range tc.sizes {
					buf := m.Reallocate(size)
					if uint64(len(buf)) != size {
						t.Fatalf("Reallocate(%d) returned %d bytes", size, len(buf))
					}
					if !bytes.Equal(buf[:len(prev)], prev) {
						t.Fatalf("round %d: growing to %d lost the memory's contents", round, size)
					}
					if i := bytes.IndexFunc(buf[len(prev):], func(r rune) bool { return r != 0 }); i >= 0 {
						t.Fatalf("round %d: new memory has a non-zero byte at %d: a previous instance's data leaked", round, len(prev)+i)
					}
					for i := range buf {
						buf[i] = 0xA5
					}
					prev = bytes.Clone(buf)
				}
				m.Free()
				m.Free() // idempotent
			}
		})
	}
}
