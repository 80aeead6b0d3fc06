package binary

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestComponentizeJS builds a JavaScript wasi:http handler with
// componentize-js (tools/jco/componentize-hello.mjs, about 13 MB of
// output, never committed) and decodes it. It runs only when node and the
// tools of scripts/install-jco.sh are installed, and not with -short.
func TestComponentizeJS(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped with -short: building the component takes about 10 s")
	}
	tools, err := filepath.Abs("../../../tools/jco")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(tools, "node_modules/@bytecodealliance/componentize-js/package.json")); err != nil {
		t.Skip("componentize-js is not installed: run scripts/install-jco.sh to run this test")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: run scripts/install-jco.sh to run this test")
	}
	out := filepath.Join(t.TempDir(), "hello.wasm")
	cmd := exec.Command(node, filepath.Join(tools, "componentize-hello.mjs"), out)
	cmd.Dir = tools
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("componentize-hello.mjs: %v\n%s", err, msg)
	}
	wasm, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	c, err := Decode(wasm)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)

	var imports, exports []string
	modules, largest, depth := 0, 0, 0
	var walk func(c *Component, d int)
	walk = func(c *Component, d int) {
		depth = max(depth, d)
		for _, s := range c.Sections {
			switch {
			case s.Module != nil:
				modules++
				largest = max(largest, len(s.Module.Bytes))
			case s.Component != nil:
				walk(s.Component, d+1)
			case d == 0 && s.ID == SectionImport:
				for _, im := range s.Imports {
					imports = append(imports, im.Name.Name)
				}
			case d == 0 && s.ID == SectionExport:
				for _, ex := range s.Exports {
					exports = append(exports, ex.Name.Name)
				}
			}
		}
	}
	walk(c, 0)
	if len(exports) != 1 || exports[0] != "wasi:http/incoming-handler@0.2.10" {
		t.Errorf("exports = %v, want [wasi:http/incoming-handler@0.2.10]", exports)
	}
	t.Logf("%d bytes decoded in %v: %d sections, %d core modules (largest %d bytes), nesting depth %d",
		len(wasm), took, len(c.Sections), modules, largest, depth)
	var counts []string
	for s := Sort(0); s < NumSorts; s++ {
		if n := len(c.Spaces[s]); n > 0 {
			counts = append(counts, s.String()+" "+strconv.Itoa(n))
		}
	}
	t.Logf("index spaces: %s", strings.Join(counts, ", "))
	t.Logf("imports: %s", strings.Join(imports, " "))
	t.Logf("exports: %s", strings.Join(exports, " "))
	checkAgainstJco(t, jcoPath(t), out, c)
}
