package plan

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/wisphq/wisp/internal/component/binary"
)

// FuzzBuild: whatever the decoder accepts, Build gives a plan or an error,
// never a panic.
func FuzzBuild(f *testing.F) {
	// One real component: large seeds slow the fuzzer's minimization down
	// (two of them stall it).
	for _, name := range []string{"reactor"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "components", name+".wasm"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := binary.Decode(b)
		if err != nil {
			return
		}
		if p, err := Build(c); err == nil {
			_ = p.Dump()
		}
	})
}

func TestSameInterface(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"wasi:cli/run@0.2.12", "wasi:cli/run@0.2.0", true},
		{"wasi:cli/run@0.2.12", "wasi:cli/run@0.3.0", false},
		{"wasi:cli/run@0.2.12", "wasi:cli/exit@0.2.12", false},
		{"wasi:cli/run", "wasi:cli/run", true},
	} {
		t.Run(tc.a+" "+tc.b, func(t *testing.T) {
			if got := SameInterface(tc.a, tc.b); got != tc.want {
				t.Fatalf("got %v", got)
			}
		})
	}
}
