package wasmscan

import (
	"os"
	"testing"
)

// BenchmarkScan scans the json example, a 3.5 MB Go program with 2,278
// functions.
func BenchmarkScan(b *testing.B) {
	wasm, err := os.ReadFile("../../examples/json/json.wasm")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(wasm)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Scan(wasm, DefaultLimits); err != nil {
			b.Fatal(err)
		}
	}
}
