// Package hostile is Wisp's adversarial suite. It starts the real `wisp`
// binary, deploys guest modules written to misbehave (endless loops, deep
// recursion, memory, output, header, file descriptor and file system
// attacks) with the CLI, attacks the gateway with malformed HTTP over raw
// TCP, and checks two things after every attack: the documented outcome
// (status code and message), and that the node is still healthy: /healthz
// answers, a control app keeps answering quickly, the process's memory and
// open files come back near where they started, and every app is still
// listed.
//
// The guests live in testdata/ with their sources and build commands
// (testdata/build.sh rebuilds them all); the fixtures shared with the other
// suites are in the repository's testdata/wasm.
//
// The suite takes about half a minute and is skipped with -short.
package hostile

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/wisphq/wisp/internal/testnode"
)

// wispBin is the binary under test, built once by TestMain; repoRoot is the
// repository's top directory.
var wispBin, repoRoot string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run()) // every test skips itself
	}
	var err error
	if repoRoot, err = testnode.Root(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "wisp-hostile-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if wispBin, err = testnode.Build(repoRoot, dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// fixture is the path of a module shared with the other suites.
func fixture(name string) string { return filepath.Join(repoRoot, "testdata", "wasm", name) }

// hostileGuest is the path of one of this suite's own guests.
func hostileGuest(name string) string {
	return filepath.Join(repoRoot, "tests", "hostile", "testdata", name)
}
