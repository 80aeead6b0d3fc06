package plugin

import (
	"errors"
	"testing"
)

// FuzzKernel drives Extism memory with a guest's arbitrary operations:
// whatever the offsets and sizes, every access either succeeds inside the
// blocks allocated so far or fails with ErrInvalidPointer / ErrMemoryLimit,
// never panics, and a block reads back what was stored in it.
func FuzzKernel(f *testing.F) {
	f.Add([]byte{0, 16, 1, 8, 2, 8, 3, 0})
	f.Add([]byte{0, 255, 0, 255, 4, 0, 1, 200})
	f.Fuzz(func(t *testing.T, ops []byte) {
		k := newKernel(64 << 10)
		defer k.release()
		var live []uint64
		for i := 0; i+1 < len(ops); i += 2 {
			arg := uint64(ops[i+1])
			switch ops[i] % 6 {
			case 0: // alloc, sizes up to 64 KiB (some over the limit)
				off, err := k.alloc(arg << 8)
				if err != nil {
					if !errors.Is(err, ErrMemoryLimit) {
						t.Fatalf("alloc: %v", err)
					}
					continue
				}
				if off < kernelBase || off%8 != 0 || k.length(off) != arg<<8 {
					t.Fatalf("alloc(%d) = %d, length %d", arg<<8, off, k.length(off))
				}
				live = append(live, off)
			case 1: // free a live block or any offset
				if len(live) > 0 {
					j := int(arg) % len(live)
					k.free(live[j])
					live = append(live[:j], live[j+1:]...)
				} else {
					k.free(arg)
				}
			case 2: // store and load back inside a live block, or anywhere
				off := arg * 8
				if len(live) > 0 {
					b := live[int(arg)%len(live)]
					if k.length(b) >= 8 {
						off = b
					}
				}
				err := k.storeU64(off, 0x0102030405060708)
				if err != nil {
					if !errors.Is(err, ErrInvalidPointer) {
						t.Fatalf("store_u64: %v", err)
					}
					continue
				}
				if v, err := k.loadU64(off); err != nil || v != 0x0102030405060708 {
					t.Fatalf("load_u64 after store: %x, %v", v, err)
				}
			case 3: // wild loads
				for _, off := range []uint64{arg, arg << 32, ^uint64(0) - arg, k.top, k.top - 1} {
					if _, err := k.loadU8(off); err != nil && !errors.Is(err, ErrInvalidPointer) {
						t.Fatalf("load_u8(%d): %v", off, err)
					}
					if _, err := k.loadU64(off); err != nil && !errors.Is(err, ErrInvalidPointer) {
						t.Fatalf("load_u64(%d): %v", off, err)
					}
				}
			case 4: // spans that wrap around
				if _, err := k.span(^uint64(0)-arg, arg+2, "span"); !errors.Is(err, ErrInvalidPointer) {
					t.Fatalf("wrapping span: %v", err)
				}
			case 5: // blocks by handle
				b, err := k.block(arg, "block")
				if err == nil && uint64(len(b)) != k.length(arg) {
					t.Fatalf("block %d: %d bytes, length %d", arg, len(b), k.length(arg))
				}
			}
		}
		// Every live block still lies within the arena.
		for _, off := range live {
			if _, err := k.span(off, k.length(off), "live"); err != nil && k.length(off) > 0 {
				t.Fatalf("live block %d: %v", off, err)
			}
		}
	})
}
