package plan

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wisphq/wisp/internal/component/binary"
)

var update = flag.Bool("update", false, "rewrite the golden plan dumps")

func fixture(t testing.TB, name string) *binary.Component {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "components", name+".wasm"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := binary.Decode(b)
	if err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return c
}

// TestGolden builds the plan of every component fixture and compares its
// dump with testdata/<name>.plan (go test -update rewrites them).
func TestGolden(t *testing.T) {
	for _, name := range []string{"counter", "exit3", "printenv", "stderr", "reactor"} {
		t.Run(name, func(t *testing.T) {
			p, err := Build(fixture(t, name))
			if err != nil {
				t.Fatal(err)
			}
			got := p.Dump()
			path := filepath.Join("testdata", name+".plan")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if got != string(want) {
				t.Errorf("plan of %s differs from %s:\n%s", name, path, got)
			}
			for k, s := range p.Steps {
				imps, err := ModuleImports(s.Wasm)
				if err != nil {
					t.Fatal(err)
				}
				for _, im := range imps {
					if im[0] != HostModule && !strings.HasPrefix(im[0], StepPrefix) {
						t.Errorf("step %d: import %q %q is not renamed", k, im[0], im[1])
					}
				}
			}
		})
	}
}
