package plugin

import (
	"encoding/binary"
	"fmt"
	"sync"
)

// kernel is the memory Extism's ABI calls "Extism memory": the blocks a
// plugin allocates with extism:host/env alloc and reads and writes with
// load_*/store_*, addressed by 64-bit offsets. Extism's own hosts keep it
// in a kernel module compiled to WebAssembly and call into that module
// several times per plugin call; here it is a Go byte slice owned by the
// call, so every load and store is one bounds check and the guest's linear
// memory is not involved at all.
//
// Blocks are laid out back to back from offset kernelBase (0 is the null
// handle), each rounded up to 8 bytes. Freeing the highest block lowers
// the top so a guest that allocates and frees in turn reuses the space;
// other freed blocks stay until the call ends. Every access is checked
// against the top: a guest pointer outside the blocks it allocated is an
// error, never an access to anything else.
type kernel struct {
	buf    []byte            // buf[:top] is in use
	top    uint64            // next free offset
	blocks map[uint64]uint64 // live blocks: offset -> length
	limit  uint64            // most bytes buf may hold
}

const kernelBase = 8

var kernelPool = sync.Pool{New: func() any { return &kernel{blocks: map[uint64]uint64{}} }}

func newKernel(limit uint64) *kernel {
	k := kernelPool.Get().(*kernel)
	k.top = kernelBase
	k.limit = limit
	return k
}

// release zeroes what the call used and pools k.
func (k *kernel) release() {
	if uint64(cap(k.buf)) > 1<<20 {
		k.buf = nil // do not pin a large arena
	} else {
		clear(k.buf[:min(k.top, uint64(len(k.buf)))])
	}
	clear(k.blocks)
	kernelPool.Put(k)
}

// alloc returns a new zeroed block of n bytes.
func (k *kernel) alloc(n uint64) (uint64, error) {
	size := max((n+7)&^7, 8) // an empty block still gets its own offset
	if size < n || k.top+size < k.top || k.top+size > k.limit {
		return 0, fmt.Errorf("alloc of %d bytes: %w: the call's Extism memory is limited to %d bytes", n, ErrMemoryLimit, k.limit)
	}
	off := k.top
	k.top += size
	if k.top > uint64(len(k.buf)) {
		if k.top <= uint64(cap(k.buf)) {
			k.buf = k.buf[:k.top]
		} else {
			// Doubling, but never past the limit: the buffer is the
			// call's Extism memory, and the limit bounds what it holds.
			grown := make([]byte, k.top, max(k.top, min(2*uint64(cap(k.buf)), k.limit), min(4096, k.limit)))
			copy(grown, k.buf)
			k.buf = grown
		}
	}
	k.blocks[off] = n
	return off, nil
}

// store allocates a block holding b.
func (k *kernel) store(b []byte) (uint64, error) {
	off, err := k.alloc(uint64(len(b)))
	if err != nil {
		return 0, err
	}
	copy(k.buf[off:], b)
	return off, nil
}

func (k *kernel) free(off uint64) {
	n, ok := k.blocks[off]
	if !ok {
		return // Extism ignores frees of unknown handles
	}
	delete(k.blocks, off)
	if off+max((n+7)&^7, 8) == k.top {
		clear(k.buf[off:k.top])
		k.top = off
	}
}

// length returns the length of the live block at off, 0 if there is none.
func (k *kernel) length(off uint64) uint64 { return k.blocks[off] }

// block returns the bytes of the live block at off.
func (k *kernel) block(off uint64, what string) ([]byte, error) {
	n, ok := k.blocks[off]
	if !ok {
		return nil, fmt.Errorf("%s: offset %d is not a block the plugin allocated: %w", what, off, ErrInvalidPointer)
	}
	return k.buf[off : off+n], nil
}

// span returns buf[off:off+n] if it lies within allocated memory.
func (k *kernel) span(off, n uint64, what string) ([]byte, error) {
	if off < kernelBase || off+n < off || off+n > k.top {
		return nil, fmt.Errorf("%s: %d bytes at offset %d are outside the plugin's Extism memory (offsets %d to %d): %w", what, n, off, kernelBase, k.top, ErrInvalidPointer)
	}
	return k.buf[off : off+n], nil
}

func (k *kernel) loadU8(off uint64) (uint32, error) {
	b, err := k.span(off, 1, "load_u8")
	if err != nil {
		return 0, err
	}
	return uint32(b[0]), nil
}

func (k *kernel) loadU64(off uint64) (uint64, error) {
	b, err := k.span(off, 8, "load_u64")
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

func (k *kernel) storeU8(off uint64, v byte) error {
	b, err := k.span(off, 1, "store_u8")
	if err != nil {
		return err
	}
	b[0] = v
	return nil
}

func (k *kernel) storeU64(off, v uint64) error {
	b, err := k.span(off, 8, "store_u64")
	if err != nil {
		return err
	}
	binary.LittleEndian.PutUint64(b, v)
	return nil
}
