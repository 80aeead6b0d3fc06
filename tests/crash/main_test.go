// Package crash kills the real `wisp` binary with SIGKILL while it deploys
// and checks what it finds after each restart: every app is wholly one
// version, every deploy the CLI acknowledged is still there, and nothing
// half-written is left behind. Like tests/e2e it drives the node only
// through the CLI, HTTP and its data directory, with internal/testnode; it
// is skipped with -short.
package crash

import (
	"context"
	"flag"
	"os"
	"testing"
	"time"

	"github.com/wisphq/wisp/internal/testnode"
)

// wispBin is the binary under test, built once by TestMain; repoRoot is the
// repository's top directory.
var wispBin, repoRoot string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run()) // every test skips itself; no binary needed
	}
	os.Exit(testnode.WithBinary(func(bin testnode.Binary) int {
		wispBin, repoRoot = bin.Path, bin.Root
		return m.Run()
	}))
}

// node is a running `wisp serve` whose helpers fail the test instead of
// returning errors.
type node struct {
	*testnode.Node
	t *testing.T
}

// startNode runs `wisp serve` on free loopback ports with data dir data
// and waits until it is ready. The test fails if the node exits or is not
// ready within a minute; the node is killed when the test ends.
func startNode(t *testing.T, data string) *node {
	t.Helper()
	n, err := testnode.Start(testnode.Options{Bin: wispBin, Data: data, Dir: repoRoot, StartTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Kill)
	return &node{Node: n, t: t}
}

// mustWisp runs a CLI command against this node that must succeed within a
// minute, and returns its stdout.
func (n *node) mustWisp(args ...string) string {
	n.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := n.CLI().Output(ctx, args...)
	if err != nil {
		n.t.Fatalf("%v\nnode stderr:\n%s", err, n.Stderr)
	}
	return out
}

// get requests path on the gateway and returns status and body.
func (n *node) get(path string) (int, string) {
	n.t.Helper()
	status, body, err := n.Get(path)
	if err != nil {
		n.t.Fatal(err)
	}
	return status, body
}
