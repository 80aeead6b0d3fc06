package engine

import (
	"errors"
	"io/fs"
	"testing"
	"testing/fstest"
)

func TestOpenFilesPerInstanceAreCapped(t *testing.T) {
	base := fstest.MapFS{"a.txt": {Data: []byte("a")}}
	inst := limitedFS{FS: base, count: &openCounter{}}
	var files []fs.File
	for i := 0; i < MaxOpenFiles; i++ {
		f, err := inst.Open("a.txt")
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		files = append(files, f)
	}
	if _, err := inst.Open("a.txt"); !errors.Is(err, errTooManyOpen) {
		t.Fatalf("open past the cap: %v, want errTooManyOpen", err)
	}
	if _, err := inst.Open("missing"); !errors.Is(err, errTooManyOpen) {
		t.Fatalf("a failed open must not free a slot: %v", err)
	}
	files[0].Close()
	files[0].Close() // closing twice frees one slot only
	if _, err := inst.Open("a.txt"); err != nil {
		t.Fatalf("open after a close: %v", err)
	}
	if _, err := inst.Open("a.txt"); !errors.Is(err, errTooManyOpen) {
		t.Fatalf("double close freed two slots: %v", err)
	}
	// Another instance has its own count.
	other := limitedFS{FS: base, count: &openCounter{}}
	if _, err := other.Open("a.txt"); err != nil {
		t.Fatalf("another instance: %v", err)
	}
}
