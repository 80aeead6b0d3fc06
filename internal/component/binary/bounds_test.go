package binary

import (
	"runtime"
	"testing"
	"time"
)

// TestHostileBounded decodes hostile inputs that stay within the format
// and checks that each is refused (or decoded) quickly and without much
// memory: the caps, not the input's claims, bound the work.
func TestHostileBounded(t *testing.T) {
	for _, tc := range []struct {
		name string
		wasm []byte
	}{
		{"definitions over the budget", comp(primTypes(MaxVecLen), primTypes(MaxVecLen), primTypes(MaxVecLen))},
		{"components nested past the limit", nestComponents(1000)},
		{"types nested past the limit", nestTypes(1000)},
		{"many empty sections", comp(bytesRepeat(sec(0, str("x")), MaxSections+1))},
		{"claims of 4 GiB", comp(sec(7, uleb(0xffffffff)), sec(10, uleb(0xffffffff)))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			_, err := Decode(tc.wasm)
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			if err == nil {
				t.Fatal("decoded a hostile input without error")
			}
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("%d bytes refused in %v, %d bytes allocated: %v", len(tc.wasm), took, alloc, err)
			if alloc > 100<<20 {
				t.Errorf("allocated %d bytes", alloc)
			}
			if took > 5*time.Second {
				t.Errorf("took %v", took)
			}
		})
	}
}

func bytesRepeat(p []byte, n int) []byte {
	out := make([]byte, 0, len(p)*n)
	for i := 0; i < n; i++ {
		out = append(out, p...)
	}
	return out
}

// BenchmarkDecode decodes printenv.wasm, a C program wrapped by jco new.
func BenchmarkDecode(b *testing.B) {
	wasm := readFixture(b, "printenv")
	b.SetBytes(int64(len(wasm)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(wasm); err != nil {
			b.Fatal(err)
		}
	}
}
