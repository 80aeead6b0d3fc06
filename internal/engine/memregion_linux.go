package engine

import (
	"os"
	"sync"
	"sync/atomic"
	"syscall"
)

// On Linux a command's linear memory is a region of address space mapped
// for the memory's whole maximum, outside the Go heap (see regionPool).

// Bounds of the region pool.
const (
	// maxPooledRegions is how many free regions the pool keeps across all
	// sizes; more are unmapped when freed.
	maxPooledRegions = 64
	// clearBelow is how many used bytes a freed region may have zeroed in
	// place, staying resident for the next instance (touching fresh pages
	// costs a fault each: a Go command's 4 MiB took 0.4 ms more per
	// request); above it, or past maxPooledResident, the pages are
	// returned to the kernel (madvise DONTNEED), which hands them back
	// zeroed when they are next touched.
	clearBelow = 16 << 20
	// maxPooledResident caps the zeroed pages free regions keep resident,
	// all sizes together: memory outside the budget's reservations.
	maxPooledResident = 64 << 20
)

// regionPool hands out linear memories mapped outside the Go heap. A
// region is mapped at an instance's maximum size with MAP_NORESERVE: it
// costs address space only, until the guest touches a page. Growing the
// memory then moves nothing, the Go collector never sees linear memory
// (so it cannot be held as garbage or pooled out of sight of the memory
// budget), and a freed memory's pages go back to the kernel, but for the
// few the pool keeps resident for the next instance (maxPooledResident in
// all). Safe for concurrent use.
type regionPool struct {
	// held counts the bytes regions may hold resident: what instances
	// use (the highest length handed out, or what the region kept
	// resident when it was taken) and what free regions keep. The Go
	// runtime does not see this memory; the node's sampler adds it.
	held atomic.Int64

	mu       sync.Mutex
	free     map[uint64][]pooledRegion // by length; every byte zero
	count    int
	resident uint64 // bytes the free regions keep resident
	closed   bool

	// pagemap is /proc/self/pagemap, opened on first use and shared by
	// every memory image's instances (mappedMemory.reset); nil where it
	// cannot be read. One descriptor for the engine, however many images.
	pagemapOnce sync.Once
	pagemap     *os.File

	// images holds every memory image of the engine (memarena_linux.go).
	images imageArena
}

// pagemapFile returns the engine's /proc/self/pagemap, or nil where it
// cannot be read (resets then map the image again).
func (p *regionPool) pagemapFile() *os.File {
	p.pagemapOnce.Do(func() {
		if f, err := os.Open("/proc/self/pagemap"); err == nil {
			p.pagemap = f
		}
	})
	return p.pagemap
}

// pooledRegion is a free region and how many of its bytes are resident.
type pooledRegion struct {
	r        []byte
	resident uint64
}

// get returns a zeroed region of size bytes and how many of its first
// bytes are resident (pages a previous instance touched), or nil if none
// can be mapped (the caller falls back to the Go heap). Those resident
// bytes stay counted in held, now as the new instance's.
func (p *regionPool) get(size uint64) (r []byte, resident uint64) {
	if size == 0 || size > 1<<32 {
		return nil, 0
	}
	p.mu.Lock()
	if list := p.free[size]; len(list) > 0 {
		pr := list[len(list)-1]
		p.free[size] = list[:len(list)-1]
		p.count--
		p.resident -= pr.resident
		p.mu.Unlock()
		return pr.r, pr.resident
	}
	p.mu.Unlock()
	r, err := syscall.Mmap(-1, 0, int(size), syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_PRIVATE|syscall.MAP_ANON|syscall.MAP_NORESERVE)
	if err != nil {
		return nil, 0
	}
	return r, 0
}

// grew records that an instance's region now holds up to n more bytes.
func (p *regionPool) grew(n uint64) { p.held.Add(int64(n)) }

// put takes back r from an instance that used its first used bytes and
// got it with resident bytes already resident (everything above both is
// untouched and zero): it zeroes what was used and keeps the region, its
// pages resident within clearBelow and maxPooledResident, or returns its
// pages to the kernel, or unmaps it. r must not be used after.
func (p *regionPool) put(r []byte, used, resident uint64) {
	used = min(used, uint64(len(r)))
	top := min(max(used, resident), uint64(len(r))) // every byte that may be resident
	p.held.Add(-int64(top))
	end := min((top+pageSize-1)/pageSize*pageSize, uint64(len(r)))
	p.mu.Lock()
	keep := !p.closed && p.count < maxPooledRegions
	stay := keep && top <= clearBelow && p.resident+end <= maxPooledResident
	if stay {
		p.resident += end // claimed before zeroing, so concurrent puts stay within the cap
		p.held.Add(int64(end))
	}
	p.mu.Unlock()
	if !keep {
		syscall.Munmap(r)
		return
	}
	if stay {
		clear(r[:used]) // between used and top it is zero already
	} else if syscall.Madvise(r[:end], syscall.MADV_DONTNEED) != nil {
		syscall.Munmap(r)
		return
	}
	pr := pooledRegion{r: r}
	if stay {
		pr.resident = end
	}
	p.mu.Lock()
	if p.closed || p.count >= maxPooledRegions {
		p.resident -= pr.resident
		p.held.Add(-int64(pr.resident))
		p.mu.Unlock()
		syscall.Munmap(r)
		return
	}
	if p.free == nil {
		p.free = map[uint64][]pooledRegion{}
	}
	p.free[uint64(len(r))] = append(p.free[uint64(len(r))], pr)
	p.count++
	p.mu.Unlock()
}

// close unmaps the free regions; regions freed later are unmapped then.
func (p *regionPool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, list := range p.free {
		for _, pr := range list {
			syscall.Munmap(pr.r)
		}
	}
	p.held.Add(-int64(p.resident))
	p.free, p.count, p.resident = nil, 0, 0
	// Memories still alive read a closed file: their resets fail and they
	// map their image again, or are discarded.
	p.pagemapOnce.Do(func() {})
	if p.pagemap != nil {
		p.pagemap.Close()
	}
	p.images.close()
}
