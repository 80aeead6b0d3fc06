// Package golden compares what a test produced with a file kept under
// testdata, for transformations whose whole output is the point (CGI
// environments, help texts, error messages, stored records). Tests pass
// their package's -update flag: with it, the file is rewritten with the
// output instead, to be reviewed in the diff.
package golden

import (
	"os"
	"path/filepath"
	"testing"
)

// Check compares got with the file at path and fails t if they differ or
// the file is missing. With update, it writes got to path (creating its
// directory) and checks nothing.
func Check(t testing.TB, path, got string, update bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (if the change is intended, run go test -update and review the diff):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
