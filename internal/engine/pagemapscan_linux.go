package engine

import (
	"syscall"
	"unsafe"
)

// PAGEMAP_SCAN (Linux 6.7 on, Documentation/admin-guide/mm/pagemap.rst)
// answers with the ranges of pages that match categories, where reading
// /proc/self/pagemap gives an entry for every page of the range, which
// the caller then reads one by one: for a JavaScript component's
// megabytes of image, thousands of entries per reset.
const (
	pagemapScanIoctl = 0xC0606610 // _IOWR('f', 16, struct pm_scan_arg)
	pageIsFile       = 1 << 2
	pageIsPresent    = 1 << 3
	pageIsSwapped    = 1 << 4
)

// pmScanArg is the kernel's struct pm_scan_arg.
type pmScanArg struct {
	size, flags, start, end, walkEnd, vec, vecLen, maxPages       uint64
	categoryInverted, categoryMask, categoryAnyofMask, returnMask uint64
}

// pageRegion is the kernel's struct page_region: [start, end) and the
// categories of its pages.
type pageRegion struct {
	start, end, categories uint64
}

// scanResult is how scanWritten ended.
type scanResult int

const (
	scanDone        scanResult = iota // every private page restored
	scanFailed                        // a reset must map the image again
	scanUnsupported                   // the kernel has no PAGEMAP_SCAN, or refused it: nothing was done
)

// scanWritten asks the kernel for the ranges of the image's pages that are
// the instance's private copies (present and not the file's page, or
// swapped out), and calls restore with each range's first and end page
// index; restore reports whether it could.
func (m *mappedMemory) scanWritten(ps int, restore func(i, j int) bool) scanResult {
	conn, err := m.pagemap.SyscallConn()
	if err != nil {
		return scanFailed
	}
	if m.found == nil {
		m.found = make([]pageRegion, 32)
	}
	base := uint64(uintptr(unsafe.Pointer(&m.region[0])))
	start, end := base, base+uint64(m.imageSize)
	for start < end {
		arg := pmScanArg{
			size:  uint64(unsafe.Sizeof(pmScanArg{})),
			start: start, end: end,
			vec: uint64(uintptr(unsafe.Pointer(&m.found[0]))), vecLen: uint64(len(m.found)),
			// not the file's page, and present or swapped out
			categoryInverted: pageIsFile, categoryMask: pageIsFile,
			categoryAnyofMask: pageIsPresent | pageIsSwapped,
			returnMask:        pageIsPresent | pageIsSwapped,
		}
		var n uintptr
		var errno syscall.Errno
		if conn.Control(func(fd uintptr) {
			n, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, pagemapScanIoctl, uintptr(unsafe.Pointer(&arg)))
		}) != nil {
			return scanFailed
		}
		switch {
		case errno != 0 && start == base:
			// ENOTTY before Linux 6.7; EPERM where a seccomp filter
			// refuses the ioctl: nothing is restored yet, so the
			// entries can be read instead.
			return scanUnsupported
		case errno != 0 || n > uintptr(len(m.found)):
			return scanFailed
		}
		for _, r := range m.found[:n] {
			if r.start < base || r.end > end || r.start >= r.end {
				return scanFailed
			}
			if !restore(int(r.start-base)/ps, int(r.end-base)/ps) {
				return scanFailed
			}
		}
		if arg.walkEnd <= start || arg.walkEnd > end {
			return scanFailed // no progress: the caller maps the image again
		}
		start = arg.walkEnd
	}
	return scanDone
}
