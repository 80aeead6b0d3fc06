package engine

import (
	"sync"
	"syscall"
)

// On Linux a command's linear memory is a region of address space mapped
// for the memory's whole maximum, outside the Go heap (see regionPool).

// Bounds of the region pool.
const (
	// maxPooledRegions is how many free regions the pool keeps across all
	// sizes; more are unmapped when freed.
	maxPooledRegions = 64
	// clearBelow is how many used bytes a freed region has zeroed in
	// place, staying resident for the next instance; above it the pages
	// are returned to the kernel (madvise DONTNEED), which hands them back
	// zeroed when they are next touched.
	clearBelow = 256 << 10
)

// regionPool hands out linear memories mapped outside the Go heap. A
// region is mapped at an instance's maximum size with MAP_NORESERVE: it
// costs address space only, until the guest touches a page. Growing the
// memory then moves nothing, the Go collector never sees linear memory
// (so it cannot be held as garbage or pooled out of sight of the memory
// budget), and a freed memory's pages go back to the kernel at once.
// Safe for concurrent use.
type regionPool struct {
	mu     sync.Mutex
	free   map[uint64][][]byte // by length; every byte zero
	count  int
	closed bool
}

// get returns a zeroed region of size bytes, or nil if none can be mapped
// (the caller falls back to the Go heap).
func (p *regionPool) get(size uint64) []byte {
	if size == 0 || size > 1<<32 {
		return nil
	}
	p.mu.Lock()
	if list := p.free[size]; len(list) > 0 {
		r := list[len(list)-1]
		p.free[size] = list[:len(list)-1]
		p.count--
		p.mu.Unlock()
		return r
	}
	p.mu.Unlock()
	r, err := syscall.Mmap(-1, 0, int(size), syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_PRIVATE|syscall.MAP_ANON|syscall.MAP_NORESERVE)
	if err != nil {
		return nil
	}
	return r
}

// put zeroes the first used bytes of r (everything above is untouched) and
// keeps it for another instance, or unmaps it. r must not be used after.
func (p *regionPool) put(r []byte, used uint64) {
	used = min(used, uint64(len(r)))
	if used > clearBelow {
		end := (used + pageSize - 1) / pageSize * pageSize
		if syscall.Madvise(r[:min(end, uint64(len(r)))], syscall.MADV_DONTNEED) != nil {
			syscall.Munmap(r)
			return
		}
	} else {
		clear(r[:used])
	}
	p.mu.Lock()
	if p.closed || p.count >= maxPooledRegions {
		p.mu.Unlock()
		syscall.Munmap(r)
		return
	}
	if p.free == nil {
		p.free = map[uint64][][]byte{}
	}
	p.free[uint64(len(r))] = append(p.free[uint64(len(r))], r)
	p.count++
	p.mu.Unlock()
}

// close unmaps the free regions; regions freed later are unmapped then.
func (p *regionPool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, list := range p.free {
		for _, r := range list {
			syscall.Munmap(r)
		}
	}
	p.free, p.count = nil, 0
}
