package engine

import (
	"context"
	"math/bits"
	"sync"
	"sync/atomic"

	"github.com/tetratelabs/wazero/experimental"
)

// Linear memory comes from a pool instead of a fresh allocation per
// instance: allocating and zeroing a new buffer (and collecting it
// afterwards) was a quarter of a small request's cost. On Linux the pool
// holds regions mapped outside the Go heap at the memory's maximum size
// (memregion_linux.go), so a memory grows in place, the collector never
// holds linear memory as garbage, and a large memory's pages return to the
// kernel when its instance ends. Elsewhere, and when mapping fails, the
// buffers are Go slices pooled by size class, below.
//
// The guarantee is the one a fresh allocation gives: every byte an instance
// can see starts as zero (or as its snapshot, for a pre-initialized
// reactor). A buffer is zeroed, up to the highest length it was grown to,
// before it goes back to the pool, so the pool only ever holds all-zero
// buffers and no instance can read what a previous one wrote.

// pooledClasses is the number of size classes: capacities of 64 KiB << c for
// c < pooledClasses, up to 64 MiB. Larger memories are allocated and
// collected as usual: they are rare and would pin too much idle memory.
const pooledClasses = 11

// memoryPool holds zeroed linear memory buffers by capacity class. It is
// safe for concurrent use.
type memoryPool struct {
	classes [pooledClasses]sync.Pool // of *[]byte, len 0, all zero
	regions regionPool
}

// classOf returns the class whose capacity holds n bytes, or -1 when n is
// too large to pool.
func classOf(n uint64) int {
	if n <= pageSize {
		return 0
	}
	c := bits.Len64((n - 1) / pageSize)
	if c >= pooledClasses {
		return -1
	}
	return c
}

// get returns a zeroed buffer of length size, with spare capacity up to its
// class.
func (p *memoryPool) get(size uint64) []byte {
	c := classOf(size)
	if c < 0 {
		return make([]byte, size)
	}
	if b, ok := p.classes[c].Get().(*[]byte); ok {
		return (*b)[:size]
	}
	return make([]byte, size, pageSize<<c)
}

// put zeroes b up to used bytes and pools it. b must not be used after.
func (p *memoryPool) put(b []byte, used uint64) {
	c := classOf(uint64(cap(b)))
	if c < 0 || uint64(cap(b)) != pageSize<<c {
		return // not one of ours: let the collector have it
	}
	clear(b[:used])
	b = b[:0]
	p.classes[c].Put(&b)
}

// instanceMemory is the linear memory of one instance. Allocate is called
// once, when wazero creates the instance's memory. Free is called by the
// engine once the call that ran the instance has returned, never by wazero:
// see wazeroView.
type instanceMemory struct {
	pool   *memoryPool
	region []byte // the whole mapped region, when buf is one (see regionPool)
	base   uint64 // bytes of region resident when it was taken
	buf    []byte
	used   uint64 // highest length handed out: everything above is still zero
	max    uint64 // the memory's maximum size, from Allocate
	done   atomic.Bool
}

var (
	_ experimental.MemoryAllocator = (*instanceMemory)(nil)
	_ experimental.LinearMemory    = (*instanceMemory)(nil)
)

// withMemory returns ctx making the instance instantiated with it take its
// memory from mem.
func withMemory(ctx context.Context, mem experimental.MemoryAllocator) context.Context {
	return experimental.WithMemoryAllocator(ctx, mem)
}

// wazeroView is the memory as wazero sees it: a LinearMemory whose Free does
// nothing. wazero frees an instance's memory when it closes the instance,
// and Runtime.Close (a node shutting down) closes instances from its own
// goroutine while their guests may still be running: freeing then would
// hand a buffer back to the pool, or unmap a snapshot, under a running
// guest. The engine frees the memory itself, after the call that ran the
// instance has returned.
type wazeroView struct{ lm experimental.LinearMemory }

func (v wazeroView) Reallocate(size uint64) []byte { return v.lm.Reallocate(size) }
func (wazeroView) Free()                           {}

// Allocate implements experimental.MemoryAllocator. The capacity hint is
// ignored: buffers come in whole classes.
func (m *instanceMemory) Allocate(_, maxBytes uint64) experimental.LinearMemory {
	m.max = maxBytes
	return wazeroView{m}
}

// Reallocate implements experimental.LinearMemory: it returns the memory
// grown to size bytes, moved to a larger buffer when it does not fit.
func (m *instanceMemory) Reallocate(size uint64) []byte {
	switch {
	case m.buf == nil:
		// The first allocation: a region at the memory's maximum if one
		// can be had (it never moves), else a pooled buffer.
		if m.region, m.base = m.pool.regions.get(m.max); m.region == nil {
			m.buf = m.pool.get(size)
			break
		}
		fallthrough
	case m.region != nil:
		if size > uint64(len(m.region)) {
			return nil // wazero fails the memory.grow
		}
		if top := max(m.used, m.base); size > top {
			m.pool.regions.grew(size - top)
		}
		m.buf = m.region[:size] // above m.used it is all zero
	case size <= uint64(cap(m.buf)):
		m.buf = m.buf[:size] // above m.used it is all zero
	default:
		var grown []byte
		if classOf(size) < 0 {
			// Beyond pooling: grow geometrically, as append would, so a
			// guest growing a page at a time does not copy its whole memory
			// every time.
			grown = make([]byte, size, min(max(size, 2*uint64(cap(m.buf))), max(m.max, size)))
		} else {
			grown = m.pool.get(size)
		}
		copy(grown, m.buf)
		m.pool.put(m.buf, m.used)
		m.buf = grown
		m.used = 0 // the new buffer: what was copied is below len(m.buf)
	}
	m.used = max(m.used, size)
	return m.buf
}

// grown returns the memory's length, in bytes: what it grew to, since a
// linear memory never shrinks. Called before Free.
func (m *instanceMemory) grown() uint64 { return uint64(len(m.buf)) }

// Free implements experimental.LinearMemory. It is idempotent.
func (m *instanceMemory) Free() {
	if !m.done.CompareAndSwap(false, true) {
		return
	}
	switch {
	case m.region != nil:
		m.pool.regions.put(m.region, m.used, m.base)
		m.region, m.buf = nil, nil
	case m.buf != nil:
		m.pool.put(m.buf, m.used)
		m.buf = nil
	}
}
