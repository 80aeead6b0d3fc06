package binary

import (
	"errors"
	"os"
	"runtime"
	"testing"
)

// FuzzDecode feeds Decode arbitrary bytes: it must return a component or
// an *Error, never panic, and allocate no more than a bounded multiple of
// the input's size (no allocation by a count the input claims).
func FuzzDecode(f *testing.F) {
	// One real component (the others are alike, and large seeds slow the
	// fuzzer's minimization down) and small hand-made ones.
	wasm, err := os.ReadFile("../../../testdata/components/reactor.wasm")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(wasm)
	f.Add(comp())
	f.Add(kitchen())
	f.Add(nestComponents(3))
	f.Add(nestTypes(3))
	f.Add(comp(sec(7, vecOf(flagsN(3), b(0x72, 0x01, 0x01, 'a', 0x7f), b(0x70, 0x00), b(0x6a, 0x01, 0x00, 0x00)))))
	f.Add(comp(sec(1, coreModule), sec(2, vecOf(cat(b(0x00, 0x00), vecOf()))),
		sec(6, vecOf(cat(b(0x00, 0x00, 0x01, 0x00), str("f")))),
		sec(7, vecOf(b(0x40, 0x00, 0x01, 0x00))),
		sec(8, vecOf(b(0x00, 0x00, 0x00, 0x00, 0x00))),
		sec(11, vecOf(cat(ename("run"), b(0x01, 0x00, 0x00))))))
	f.Fuzz(func(t *testing.T, wasm []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		c, err := Decode(wasm)
		runtime.ReadMemStats(&after)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not an *Error", err)
			}
			if e.Offset < 0 || e.Offset > len(wasm) {
				t.Fatalf("error offset %d is outside the %d-byte input: %v", e.Offset, len(wasm), err)
			}
		} else {
			_ = c.Dump()
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > uint64(1024*len(wasm)+1<<20) {
			t.Fatalf("Decode of %d bytes allocated %d bytes", len(wasm), alloc)
		}
	})
}
