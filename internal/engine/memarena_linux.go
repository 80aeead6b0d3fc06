package engine

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
)

// imageArena is the one file, unlinked, that holds every memory image of
// an engine, each at its own page-aligned range. Instances map their
// image's range copy-on-write (mappedFile.instanceMemory), so the kernel
// shares untouched pages and a reset finds the pages an instance wrote in
// /proc/self/pagemap. One file for all images keeps a node with thousands
// of apps at one descriptor, where a file per image took one each.
//
// A range is given back when its image is closed and no memory maps it
// any more (arenaImage's references): its pages are punched out of the
// file, and the range is reused by the next image of the same size.
// Safe for concurrent use.
type imageArena struct {
	once sync.Once
	f    *os.File // nil if the file could not be made
	err  error

	mu   sync.Mutex
	end  int64             // the file's length: every range ends at or below it
	free map[int64][]int64 // punched ranges' offsets, by length
}

// file returns the arena's file, made on first use.
func (a *imageArena) file() (*os.File, error) {
	a.once.Do(func() {
		f, err := os.CreateTemp("", "wisp-images-*")
		if err != nil {
			a.err = fmt.Errorf("make the memory image file: %w", err)
			return
		}
		// Unlinked at once: the file lives as long as it is open or
		// mapped, and a crashed node leaves nothing behind.
		os.Remove(f.Name())
		a.f = f
	})
	return a.f, a.err
}

// arenaImage is one image's range of the arena. refs counts the image
// itself and every memory mapping the range; the last release gives the
// range back.
type arenaImage struct {
	arena *imageArena
	off   int64
	size  int64
	refs  atomic.Int64
	// closed is set by the image's close, which drops the image's own
	// reference once.
	closed atomic.Bool
}

// add stores data in a range of its own and returns it, holding one
// reference (the image's).
func (a *imageArena) add(data []byte) (*arenaImage, error) {
	f, err := a.file()
	if err != nil {
		return nil, err
	}
	ps := int64(os.Getpagesize())
	size := (int64(len(data)) + ps - 1) / ps * ps
	a.mu.Lock()
	var off int64
	if list := a.free[size]; len(list) > 0 {
		off = list[len(list)-1]
		a.free[size] = list[:len(list)-1]
	} else {
		// The file grows first: a mapped page past its end would fault
		// (SIGBUS) where it should read the image's trailing zeros.
		if err := f.Truncate(a.end + size); err != nil {
			a.mu.Unlock()
			return nil, fmt.Errorf("grow the memory image file: %w", err)
		}
		off = a.end
		a.end += size
	}
	a.mu.Unlock()
	img := &arenaImage{arena: a, off: off, size: size}
	img.refs.Store(1)
	// The range is a hole (new, or punched): trailing zeros (a heap's
	// untouched end, a component's memory reserve) stay one, reading as
	// zeros and taking no space.
	n := len(data)
	for n > 0 && data[n-1] == 0 {
		n--
	}
	if _, err := f.WriteAt(data[:n], off); err != nil {
		img.release()
		return nil, fmt.Errorf("write memory image: %w", err)
	}
	return img, nil
}

// tryRetain adds a reference for a memory that maps or reads the range,
// unless the image is closed or no reference is left (the range is given
// back, or about to be: it may hold another image); it reports whether
// it did. Racing the close, it may win: the range then stays the image's
// until the memory drops it.
func (img *arenaImage) tryRetain() bool {
	for {
		if img.closed.Load() {
			return false
		}
		n := img.refs.Load()
		if n <= 0 {
			return false
		}
		if img.refs.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// release drops a reference; the last one punches the range out of the
// file and makes it free for another image. A range that cannot be
// punched is not reused (it would read as its old image), only lost until
// the engine closes.
func (img *arenaImage) release() {
	if img.refs.Add(-1) != 0 {
		return
	}
	a := img.arena
	conn, err := a.f.SyscallConn()
	if err != nil {
		return
	}
	var errno syscall.Errno
	if conn.Control(func(fd uintptr) {
		const punchHole = 0x01 | 0x02 // FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE
		_, _, errno = syscall.Syscall6(syscall.SYS_FALLOCATE, fd, punchHole, uintptr(img.off), uintptr(img.size), 0, 0)
	}) != nil || errno != 0 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.free == nil {
		a.free = map[int64][]int64{}
	}
	a.free[img.size] = append(a.free[img.size], img.off)
	// Free ranges at the file's end shorten it, so images of ever new
	// sizes do not lengthen it without bound.
	trimmed := false
	for a.trimEnd() {
		trimmed = true
	}
	if trimmed {
		a.f.Truncate(a.end) // holes already: a failure costs nothing
	}
}

// trimEnd removes the free range that ends at the file's end, if any, and
// reports whether it did. The caller holds mu.
func (a *imageArena) trimEnd() bool {
	for size, list := range a.free {
		for i, off := range list {
			if off+size == a.end {
				a.free[size] = append(list[:i], list[i+1:]...)
				a.end = off
				return true
			}
		}
	}
	return false
}

// close closes the file. Mappings made from it stay valid; memories that
// would map their image again fail, and are discarded.
func (a *imageArena) close() {
	a.once.Do(func() {})
	if a.f != nil {
		a.f.Close()
	}
}
