package engine

import (
	"encoding/binary"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/tetratelabs/wazero/experimental"
)

// mappedFile is a memory image held in the engine's image file (see
// imageArena): the kernel shares its pages between instances and copies
// only those an instance writes.
type mappedFile struct {
	img *arenaImage
	// view is the image's range mapped shared and read-only, from which
	// resets copy the image's pages back (a copy, where reading the file
	// would be a system call per run of written pages); nil if it could
	// not be mapped (resets then read the file).
	view *imageView
}

// imageView is an image's read-only mapping, shared by the image and
// every memory made from it. A memory may outlive its image's close (a run
// in progress finishes after Prepared.Close or Component.Close): the view
// is unmapped under the write lock, and a reset copies from it only under
// the read lock and while it is mapped, so a late reset does not touch
// unmapped memory: it maps its range again instead, which its memory's
// reference keeps the image's.
type imageView struct {
	mu    sync.RWMutex
	bytes []byte // nil once unmapped
}

func (v *imageView) unmap() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.bytes != nil {
		syscall.Munmap(v.bytes)
		v.bytes = nil
	}
}

// openMappedFile stores data in the engine's image file. ok is false if
// that file could not be made (instances then copy the image from the Go
// heap); err reports a failed write.
func openMappedFile(data []byte, regions *regionPool) (mf mappedFile, ok bool, err error) {
	img, err := regions.images.add(data)
	if err != nil {
		if regions.images.f == nil {
			return mappedFile{}, false, nil
		}
		return mappedFile{}, false, err
	}
	var view *imageView
	if len(data) > 0 {
		if conn, err := img.arena.f.SyscallConn(); err == nil {
			conn.Control(func(fd uintptr) {
				if v, err := syscall.Mmap(int(fd), img.off, len(data), syscall.PROT_READ, syscall.MAP_SHARED); err == nil {
					view = &imageView{bytes: v}
				}
			})
		}
	}
	return mappedFile{img: img, view: view}, true, nil
}

// close unmaps the view and drops the image's reference to its range,
// once however often it is called.
func (mf mappedFile) close() error {
	if mf.img == nil || !mf.img.closed.CompareAndSwap(false, true) {
		return nil
	}
	if mf.view != nil {
		mf.view.unmap()
	}
	mf.img.release()
	return nil
}

// acquire takes a reference to the image's range for a memory, unless the
// image was closed (and the range may be another image's by now); it
// reports whether it did.
func (mf mappedFile) acquire() bool { return mf.img.tryRetain() }

// drop gives back a reference acquire took.
func (mf mappedFile) drop() { mf.img.release() }

// copyTo copies the image into buf (its length).
func (mf mappedFile) copyTo(buf []byte) error {
	if v := mf.view; v != nil {
		v.mu.RLock()
		defer v.mu.RUnlock()
		if v.bytes != nil {
			copy(buf, v.bytes)
			return nil
		}
	}
	_, err := mf.img.arena.f.ReadAt(buf, mf.img.off)
	return err
}

// instanceMemory returns a copy-on-write mapping of the image (size bytes)
// inside a reservation of limit bytes, or nil if mapping fails.
// regions.held counts the memory's length while it lives (an upper bound
// of what it touches); its resets read the engine's /proc/self/pagemap.
// The caller has acquired a reference to the image's range, which the
// memory returned owns (and drops in Free); on nil the caller keeps it.
func (mf mappedFile) instanceMemory(size int, limit uint64, regions *regionPool) experimentalMemory {
	held, pagemap := &regions.held, regions.pagemapFile()
	if size == 0 || limit < uint64(size) {
		return nil
	}
	region, err := syscall.Mmap(-1, 0, int(limit), syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_PRIVATE|syscall.MAP_ANON|syscall.MAP_NORESERVE)
	if err != nil {
		return nil
	}
	if !mf.mapImage(region, size) {
		syscall.Munmap(region)
		return nil
	}
	return &mappedMemory{region: region, held: held, file: mf, pagemap: pagemap, imageSize: size}
}

// mapImage maps the image's first size bytes privately over the start of
// region, replacing whatever was mapped there (and so discarding every
// page written since). It reports whether the mapping succeeded.
func (mf mappedFile) mapImage(region []byte, size int) bool {
	conn, err := mf.img.arena.f.SyscallConn()
	if err != nil {
		return false
	}
	var errno syscall.Errno
	// Control holds the descriptor open while the file is mapped, so a
	// concurrent close cannot make the number name another file.
	ctlErr := conn.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall6(syscall.SYS_MMAP, uintptr(unsafe.Pointer(&region[0])), uintptr(size),
			syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_FIXED, fd, uintptr(mf.img.off))
	})
	return ctlErr == nil && errno == 0
}

// mappedMemory is one instance's memory: a reservation of the memory limit
// (address space only: pages appear, zeroed, when first touched) with the
// image mapped privately over its start. Growing within the reservation
// moves nothing; Free unmaps it all, discarding every page the instance
// wrote.
type mappedMemory struct {
	region  []byte
	held    *atomic.Int64 // the engine's count of memory outside the Go heap
	size    uint64        // the longest length handed out
	counted int64         // what this memory adds to held: size, or while idle its private pages
	done    atomic.Bool
	file    mappedFile // the image, for reset
	// pagemap is the engine's /proc/self/pagemap, from which reset learns
	// which pages the instance wrote; nil where it cannot be read.
	pagemap   *os.File
	imageSize int
	entries   []byte       // pagemap entries of the image's pages, reset's scratch
	found     []pageRegion // PAGEMAP_SCAN's answer, reset's scratch
	noScan    bool         // the kernel has no PAGEMAP_SCAN: read entries
}

var _ resettableMemory = (*mappedMemory)(nil)

// reset returns the memory to the image: the image is mapped again over
// the start of the region (MAP_FIXED: the address wazero holds stays
// valid), which drops every page the instance wrote. Only a memory that
// has not grown past the image can be reset; reset reports whether it was
// (false: discard the instance). The caller must be the only user of the
// memory, with no guest running on it.
//
// Where /proc/self/pagemap can be read, the pages the instance wrote are
// found there instead (the private copies: present and not file pages, or
// swapped out) and the image is read back into them: they stay the
// instance's own, so its next request does not fault them in and copy
// them again, which for a large guest (a JavaScript component writes a
// few hundred pages per request) costs more than the reset itself. Such
// pages stay resident while the instance is idle.
//
// After a reset the memory is idle until resume: held counts only its
// private pages (the image's other pages are the file's, shared by every
// instance), where a running memory counts its whole length.
func (m *mappedMemory) reset() bool {
	if m.done.Load() || m.size != uint64(m.imageSize) {
		return false
	}
	private, ok := int64(0), false
	if m.pagemap != nil {
		private, ok = m.restoreWritten()
	}
	if !ok {
		if !m.file.mapImage(m.region, m.imageSize) {
			return false
		}
		private = 0
	}
	m.held.Add(private - m.counted)
	m.counted = private
	return true
}

// resume counts the memory at its whole length again, for the run a
// reused instance is taken for.
func (m *mappedMemory) resume() {
	m.held.Add(int64(m.size) - m.counted)
	m.counted = int64(m.size)
}

// Bits of a /proc/self/pagemap entry (Documentation/admin-guide/mm/pagemap.rst).
const (
	pagemapPresent = 1 << 63
	pagemapSwapped = 1 << 62
	pagemapFile    = 1 << 61 // a file page or shared anonymous: not a private copy
)

// restoreWritten reads the image back into every page of the mapping that
// is the instance's private copy, and returns their size and whether it
// could. It asks the kernel for those pages' ranges (PAGEMAP_SCAN, Linux
// 6.7 on), or where that is missing reads the mapping's entries from
// /proc/self/pagemap and finds them there.
func (m *mappedMemory) restoreWritten() (private int64, ok bool) {
	ps := os.Getpagesize()
	// The image's view, held mapped while this reset copies from it.
	var view []byte
	if v := m.file.view; v != nil {
		v.mu.RLock()
		defer v.mu.RUnlock()
		if v.bytes == nil {
			return 0, false // the image was closed: the caller maps the range again
		}
		view = v.bytes
	}
	// restore copies pages [i, j) back from the image.
	restore := func(i, j int) bool {
		if view != nil {
			copy(m.region[i*ps:j*ps], view[i*ps:j*ps])
		} else if _, err := m.file.img.arena.f.ReadAt(m.region[i*ps:j*ps], m.file.img.off+int64(i*ps)); err != nil {
			return false // the caller maps the image again
		}
		private += int64((j - i) * ps)
		return true
	}
	if !m.noScan {
		switch m.scanWritten(ps, restore) {
		case scanDone:
			return private, true
		case scanFailed:
			return 0, false
		}
		m.noScan = true // and read the entries instead, from now on
	}
	pages := m.imageSize / ps
	if cap(m.entries) < pages*8 {
		m.entries = make([]byte, pages*8)
	}
	entries := m.entries[:pages*8]
	addr := uintptr(unsafe.Pointer(&m.region[0]))
	if n, err := m.pagemap.ReadAt(entries, int64(addr/uintptr(ps))*8); err != nil || n != len(entries) {
		return 0, false
	}
	written := func(i int) bool {
		e := binary.LittleEndian.Uint64(entries[i*8:])
		return e&pagemapSwapped != 0 || e&pagemapPresent != 0 && e&pagemapFile == 0
	}
	for i := 0; i < pages; {
		if !written(i) {
			i++
			continue
		}
		j := i + 1
		for j < pages && written(j) {
			j++
		}
		if !restore(i, j) {
			return 0, false
		}
		i = j
	}
	return private, true
}

func (m *mappedMemory) Allocate(_, _ uint64) experimental.LinearMemory { return wazeroView{m} }

func (m *mappedMemory) grown() uint64 { return m.size }

func (m *mappedMemory) Reallocate(size uint64) []byte {
	if size > uint64(len(m.region)) {
		return nil // wazero fails the memory.grow
	}
	if size > m.size {
		m.held.Add(int64(size - m.size))
		m.counted += int64(size - m.size)
		m.size = size
	}
	return m.region[:size]
}

func (m *mappedMemory) Free() {
	if m.done.CompareAndSwap(false, true) {
		syscall.Munmap(m.region)
		m.held.Add(-m.counted)
		m.file.img.release()
	}
}
