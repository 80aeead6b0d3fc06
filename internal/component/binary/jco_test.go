package binary

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// jcoPath returns the absolute path of the jco that scripts/install-jco.sh
// installs, or skips t when it is missing or with -short.
func jcoPath(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("skipped with -short: runs the npm tools")
	}
	jco, err := filepath.Abs("../../../tools/jco/node_modules/.bin/jco")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(jco); err != nil {
		t.Skip("jco is not installed: run scripts/install-jco.sh to run this test")
	}
	return jco
}

var witLine = regexp.MustCompile(`(?m)^  (import|export) ([^ ;{]+);$`)

// checkAgainstJco compares the top-level imports and exports of c with
// the world `jco wit` (wasm-tools inside jco) prints for the component at
// the absolute path abs.
func checkAgainstJco(t *testing.T, jco, abs string, c *Component) {
	t.Helper()
	out, err := exec.Command(jco, "wit", abs).CombinedOutput()
	if err != nil {
		t.Fatalf("jco wit: %v\n%s", err, out)
	}
	var want []string
	for _, m := range witLine.FindAllStringSubmatch(string(out), -1) {
		want = append(want, m[1]+" "+m[2])
	}
	if len(want) == 0 {
		t.Fatalf("jco wit printed no imports or exports:\n%s", out)
	}
	var got []string
	for _, im := range c.Imports() {
		got = append(got, "import "+im.Name.String())
	}
	for _, ex := range c.Exports() {
		got = append(got, "export "+ex.Name.String())
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("Decode found\n  %s\njco wit prints\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// TestJcoWit checks the decoder against another for each fixture.
func TestJcoWit(t *testing.T) {
	jco := jcoPath(t)
	for _, path := range fixtures(t) {
		name := strings.TrimSuffix(filepath.Base(path), ".wasm")
		t.Run(name, func(t *testing.T) {
			abs, err := filepath.Abs(path) // jco does not see relative paths
			if err != nil {
				t.Fatal(err)
			}
			wasm, err := os.ReadFile(abs)
			if err != nil {
				t.Fatal(err)
			}
			c, err := Decode(wasm)
			if err != nil {
				t.Fatal(err)
			}
			checkAgainstJco(t, jco, abs, c)
		})
	}
}
