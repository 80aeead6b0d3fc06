package engine

import (
	"fmt"
	"sync/atomic"

	"github.com/tetratelabs/wazero/experimental"
)

// memoryImage is the linear memory a pre-initialized reactor's (or a
// reused command's, or a component graph's) instances start with. On Linux
// it lives only in the engine's image file, at a range of its own, which
// each instance maps copy-on-write (memimage_linux.go, memarena_linux.go):
// starting an instance costs two system calls and a page fault per page it
// touches, however large the image, the kernel shares the untouched pages
// between instances, and a reused instance's reset copies back only the
// pages its run wrote. Elsewhere, and when the file cannot be made, each
// instance gets a pooled buffer with the image copied in (copiedMemory).
type memoryImage struct {
	size   int        // bytes; a whole number of pages
	inFile bool       // the image is in file; otherwise in data
	file   mappedFile // the image, where the platform maps files
	data   []byte     // the image, where it does not
}

// newMemoryImage stores data, a memory's contents, as an image in regions'
// image file (on Linux).
func newMemoryImage(regions *regionPool, data []byte) (*memoryImage, error) {
	f, ok, err := openMappedFile(data, regions)
	if err != nil {
		return nil, err
	}
	img := &memoryImage{size: len(data), inFile: ok, file: f}
	if !ok {
		img.data = append([]byte(nil), data...)
	}
	return img, nil
}

func (img *memoryImage) close() error { return img.file.close() }

// instanceMemory returns the memory for one instance, to be freed by the
// caller once the call that ran the instance has returned. limit is the
// memory limit in bytes.
//
// A memory made from an image in a file holds a reference to the image's
// range until Free, so the range is not given to another image while the
// memory may still read it; once the image is closed, a new memory can
// take none, and traps at its first use instead (a run that raced the
// close of its module).
func (img *memoryImage) instanceMemory(pool *memoryPool, limit uint64) experimentalMemory {
	if !img.inFile {
		return &copiedMemory{mem: instanceMemory{pool: pool}, image: img}
	}
	if !img.file.acquire() {
		return &copiedMemory{mem: instanceMemory{pool: pool}, image: img, closed: true}
	}
	if m := img.file.instanceMemory(img.size, limit, &pool.regions); m != nil {
		return m // it owns the reference
	}
	// Mapping failed (address space, map count): copied in, still
	// holding the reference.
	return &copiedMemory{mem: instanceMemory{pool: pool}, image: img, holds: true}
}

// experimentalMemory is a wazero memory allocator for one instance and the
// memory it allocates.
type experimentalMemory interface {
	experimental.MemoryAllocator
	experimental.LinearMemory
	// grown is the length the memory grew to, in bytes (a linear memory
	// never shrinks). Called before Free.
	grown() uint64
}

// copiedMemory is a pooled buffer with the image copied in.
type copiedMemory struct {
	mem     instanceMemory
	image   *memoryImage
	copied  atomic.Bool
	holds   bool // a reference to the image's range, dropped by Free
	dropped atomic.Bool
	closed  bool // the image was closed before this memory was made
}

func (m *copiedMemory) Allocate(_, maxBytes uint64) experimental.LinearMemory {
	m.mem.max = maxBytes
	return wazeroView{m}
}

func (m *copiedMemory) Reallocate(size uint64) []byte {
	buf := m.mem.Reallocate(size)
	if !m.copied.Swap(true) {
		if m.closed {
			panic("the memory image was closed: its module was closed while this run started") // wazero turns this into a trap
		}
		if err := m.image.copyTo(buf); err != nil {
			panic(fmt.Sprintf("reactor memory snapshot unreadable: %v", err)) // wazero turns this into a trap
		}
		m.mem.used = max(m.mem.used, uint64(m.image.size))
	}
	return buf
}

func (m *copiedMemory) Free() {
	m.mem.Free()
	if m.holds && m.dropped.CompareAndSwap(false, true) {
		m.image.file.drop()
	}
}

func (m *copiedMemory) grown() uint64 { return m.mem.grown() }

// reset copies the image over the memory again, unless it grew past the
// image (then it reports false: discard the instance). See
// mappedMemory.reset.
func (m *copiedMemory) reset() bool {
	if m.closed || m.mem.done.Load() || uint64(len(m.mem.buf)) != uint64(m.image.size) {
		return false
	}
	return m.image.copyTo(m.mem.buf) == nil
}

func (m *copiedMemory) resume() {}

// resettableMemory is a memory that can be returned to its image for the
// next request of a reused instance (reuse.go): reset restores it and
// leaves it idle (mappedMemory then counts less in Engine.OffHeap), resume
// readies it for its next run.
type resettableMemory interface {
	experimentalMemory
	reset() bool
	resume()
}

var _ resettableMemory = (*copiedMemory)(nil)

// copyTo copies the image to the start of buf.
func (img *memoryImage) copyTo(buf []byte) error {
	if !img.inFile {
		copy(buf, img.data)
		return nil
	}
	return img.file.copyTo(buf[:img.size])
}
