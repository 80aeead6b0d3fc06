package engine

import (
	"bytes"
	"os"
	"testing"
)

// pattern is an image of pages wasm pages: fill in its first half, zeros
// after (the trailing zeros the image file leaves a hole).
func pattern(pages int, fill byte) []byte {
	data := make([]byte, pages*pageSize)
	for i := range len(data) / 2 {
		data[i] = fill + byte(i%7)
	}
	return data
}

// TestImageArenaReusesRangesClean gives a closed image's range to the next
// image of its size: the new image reads as itself, its trailing zeros
// included, never as what the range held before.
func TestImageArenaReusesRangesClean(t *testing.T) {
	var regions regionPool
	t.Cleanup(regions.close)
	full := bytes.Repeat([]byte{0xAB}, 2*pageSize)
	first, err := newMemoryImage(&regions, full)
	if err != nil {
		t.Fatal(err)
	}
	off := first.file.img.off
	first.close()

	want := pattern(2, 1)
	second, err := newMemoryImage(&regions, want)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { second.close() })
	if second.file.img.off != off {
		t.Fatalf("the second image is at %d, want the freed range at %d", second.file.img.off, off)
	}
	mem := second.instanceMemory(&memoryPool{}, 4*pageSize)
	if _, ok := mem.(*mappedMemory); !ok {
		t.Fatalf("the instance memory is a %T, want a mapping of the image", mem)
	}
	defer mem.Free()
	got := mem.Reallocate(2 * pageSize)
	if !bytes.Equal(got, want) {
		t.Fatal("a mapping of the reused range does not read as its new image")
	}
	copied := make([]byte, len(want))
	if err := second.copyTo(copied); err != nil || !bytes.Equal(copied, want) {
		t.Fatalf("copying the reused range's image: %v, equal %v", err, bytes.Equal(copied, want))
	}
}

// TestImageArenaKeepsMappedRanges closes an image while a memory made
// from it still lives (a run finishing after its module was closed): the
// memory keeps reading the image, and the range is not given to another
// image until the memory is freed.
func TestImageArenaKeepsMappedRanges(t *testing.T) {
	var regions regionPool
	t.Cleanup(regions.close)
	want := pattern(2, 9)
	img, err := newMemoryImage(&regions, want)
	if err != nil {
		t.Fatal(err)
	}
	mem := img.instanceMemory(&memoryPool{}, 2*pageSize)
	img.close()

	other, err := newMemoryImage(&regions, pattern(2, 50))
	if err != nil {
		t.Fatal(err)
	}
	defer other.close()
	if other.file.img.off == img.file.img.off {
		t.Fatal("a range still mapped by a memory was given to another image")
	}
	if got := mem.Reallocate(2 * pageSize); !bytes.Equal(got, want) {
		t.Fatal("a memory whose image was closed no longer reads as the image")
	}
	mem.Free()

	third, err := newMemoryImage(&regions, pattern(2, 90))
	if err != nil {
		t.Fatal(err)
	}
	defer third.close()
	if third.file.img.off != img.file.img.off {
		t.Fatalf("the range freed with its last memory was not reused: %d, want %d", third.file.img.off, img.file.img.off)
	}
}

// TestImageArenaHoldsOneDescriptor makes a hundred images: the engine
// holds one descriptor for them all, however many apps a node serves.
func TestImageArenaHoldsOneDescriptor(t *testing.T) {
	var regions regionPool
	t.Cleanup(regions.close)
	fds := func() int {
		entries, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Skip("/proc/self/fd is not readable here")
		}
		return len(entries)
	}
	before := fds()
	var images []*memoryImage
	for i := range 100 {
		img, err := newMemoryImage(&regions, pattern(1+i%3, byte(i)))
		if err != nil {
			t.Fatal(err)
		}
		images = append(images, img)
	}
	if after := fds(); after > before+1 {
		t.Errorf("100 images hold %d descriptors, want 1", after-before)
	}
	for _, img := range images {
		img.close()
	}
}

// TestImageArenaClosedImage takes a memory from an image already closed
// (a run that raced the close of its module) and closes an image twice:
// the memory traps at its first use instead of reading a range that may
// be another image's, and the second close gives nothing back again.
func TestImageArenaClosedImage(t *testing.T) {
	var regions regionPool
	t.Cleanup(regions.close)
	img, err := newMemoryImage(&regions, pattern(2, 3))
	if err != nil {
		t.Fatal(err)
	}
	kept := img.instanceMemory(&memoryPool{}, 2*pageSize)
	defer kept.Free()
	img.close()
	img.close()
	next, err := newMemoryImage(&regions, pattern(2, 60))
	if err != nil {
		t.Fatal(err)
	}
	defer next.close()
	if next.file.img.off == img.file.img.off {
		t.Fatal("a second close gave back a range a memory still maps")
	}

	late := img.instanceMemory(&memoryPool{}, 2*pageSize)
	defer late.Free()
	func() {
		defer func() {
			if recover() == nil {
				t.Error("a memory made after its image was closed did not trap at its first use")
			}
		}()
		late.Reallocate(2 * pageSize)
	}()
	if got := img.file.img.refs.Load(); got != 1 {
		t.Errorf("the closed image's range has %d references, want 1 (the memory made before the close)", got)
	}
}

// TestImageArenaShortensItsFile closes the image at the file's end: the
// file gets shorter, so images of ever new sizes do not grow it without
// bound.
func TestImageArenaShortensItsFile(t *testing.T) {
	var regions regionPool
	t.Cleanup(regions.close)
	first, err := newMemoryImage(&regions, pattern(1, 1))
	if err != nil {
		t.Fatal(err)
	}
	defer first.close()
	for pages := 2; pages < 6; pages++ {
		img, err := newMemoryImage(&regions, pattern(pages, 2))
		if err != nil {
			t.Fatal(err)
		}
		img.close()
	}
	fi, err := regions.images.f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() != pageSize {
		t.Errorf("the image file is %d bytes with one 1-page image left, want %d", fi.Size(), pageSize)
	}
}

// TestResetFindsWrittenPages writes some pages of a mapped image and
// resets it, by asking the kernel for the written ranges (PAGEMAP_SCAN)
// and by reading the pagemap entries: both find exactly the pages written
// (and every page written before, which stays the instance's own), and
// the memory reads as the image again.
func TestResetFindsWrittenPages(t *testing.T) {
	for _, tc := range []struct {
		name   string
		noScan bool
	}{
		{"PAGEMAP_SCAN", false},
		{"pagemap entries", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var regions regionPool
			t.Cleanup(regions.close)
			if regions.pagemapFile() == nil {
				t.Skip("/proc/self/pagemap is not readable here")
			}
			want := pattern(4, 7)
			img, err := newMemoryImage(&regions, want)
			if err != nil {
				t.Fatal(err)
			}
			defer img.close()
			mem := img.instanceMemory(&memoryPool{}, 4*pageSize)
			defer mem.Free()
			m, ok := mem.(*mappedMemory)
			if !ok {
				t.Fatalf("the instance memory is a %T, want a mapping", mem)
			}
			m.noScan = tc.noScan
			ps := os.Getpagesize()
			buf := m.Reallocate(4 * pageSize)
			for _, p := range []int{0, 5, 6, 7, 40, len(buf)/ps - 1} {
				buf[p*ps+3] ^= 0xFF
			}
			_ = buf[9*ps] // read only: stays the file's page
			private, ok := m.restoreWritten()
			if !ok {
				t.Fatal("the reset failed")
			}
			if want := int64(6 * ps); private != want {
				t.Errorf("the reset restored %d bytes, want %d (the 6 pages written)", private, want)
			}
			if tc.noScan == false && m.noScan {
				t.Skip("this kernel has no PAGEMAP_SCAN (Linux 6.7 on): the entries were read instead")
			}
			if !bytes.Equal(buf, want) {
				t.Fatal("the memory does not read as its image after the reset")
			}
		})
	}
}
