package engine

import (
	"sync/atomic"

	"github.com/tetratelabs/wazero/experimental"
)

// memoryImage is the linear memory a pre-initialized reactor's instances
// start with. On Linux it is a file that each instance maps copy-on-write
// (memimage_linux.go): starting an instance costs two system calls and a
// page fault per page it touches, however large the image. Elsewhere, and
// when mapping fails, each instance gets a pooled buffer with the image
// copied in (copiedMemory).
type memoryImage struct {
	data []byte // the image; len is a whole number of pages
	file mappedFile
}

func newMemoryImage(data []byte) (*memoryImage, error) {
	img := &memoryImage{data: append([]byte(nil), data...)}
	f, err := openMappedFile(img.data)
	if err != nil {
		return nil, err
	}
	img.file = f
	return img, nil
}

func (img *memoryImage) close() error { return img.file.close() }

// instanceMemory returns the memory for one instance. Like instanceMemory,
// it is freed by wazero or by the caller after the instance is closed.
// limit is the memory limit in bytes.
func (img *memoryImage) instanceMemory(pool *memoryPool, limit uint64) experimentalMemory {
	if m := img.file.instanceMemory(len(img.data), limit); m != nil {
		return m
	}
	return &copiedMemory{mem: instanceMemory{pool: pool}, image: img.data}
}

// experimentalMemory is a wazero memory allocator for one instance and the
// memory it allocates.
type experimentalMemory interface {
	experimental.MemoryAllocator
	experimental.LinearMemory
}

// copiedMemory is a pooled buffer with the image copied in.
type copiedMemory struct {
	mem    instanceMemory
	image  []byte
	copied atomic.Bool
}

func (m *copiedMemory) Allocate(_, _ uint64) experimental.LinearMemory { return m }

func (m *copiedMemory) Reallocate(size uint64) []byte {
	buf := m.mem.Reallocate(size)
	if !m.copied.Swap(true) {
		copy(buf, m.image)
		m.mem.used = max(m.mem.used, uint64(len(m.image)))
	}
	return buf
}

func (m *copiedMemory) Free() { m.mem.Free() }
