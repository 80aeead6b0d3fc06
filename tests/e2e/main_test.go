// Package e2e tests the real `wisp` binary the way a user drives it: a node
// started with `wisp serve` on loopback ports, apps deployed with the CLI,
// requests sent over HTTP. Nothing here calls Wisp's Go API; the node and
// the CLI are run by internal/testnode.
package e2e

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp/internal/testnode"
)

// wispBin is the binary under test, built once by TestMain; repoRoot is the
// repository's top directory.
var wispBin, repoRoot string

func TestMain(m *testing.M) {
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
// (a new temp dir if ""), plus extra flags, and waits until it is ready.
// The node is killed when the test ends.
func startNode(t *testing.T, data string, extra ...string) *node {
	t.Helper()
	if data == "" {
		data = t.TempDir()
	}
	n, err := testnode.Start(testnode.Options{Bin: wispBin, Data: data, Dir: repoRoot, Args: extra})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Kill)
	return &node{Node: n, t: t}
}

// wisp runs a CLI command against this node and returns its stdout,
// stderr and exit code.
func (n *node) wisp(args ...string) (string, string, int) {
	n.t.Helper()
	return runWisp(n.t, n.CLI().Env, args...)
}

// mustWisp runs a CLI command that must succeed.
func (n *node) mustWisp(args ...string) string {
	n.t.Helper()
	out, errOut, code := n.wisp(args...)
	if code != 0 {
		n.t.Fatalf("wisp %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// runWisp runs a CLI command with env added to the environment (nil: no
// node) and returns its stdout, stderr and exit code.
func runWisp(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	res, err := testnode.CLI{Bin: wispBin, Dir: repoRoot, Env: env}.Run(args...)
	if err != nil {
		t.Fatal(err)
	}
	return res.Stdout, res.Stderr, res.Code
}

// get requests path on the gateway and returns status and body.
func (n *node) get(path string) (int, string) {
	n.t.Helper()
	return n.do("GET", path, "", nil)
}

// do sends a request to the gateway and returns status and body.
func (n *node) do(method, path, body string, header map[string]string) (int, string) {
	n.t.Helper()
	status, respBody, err := n.Request(method, path, body, header)
	if err != nil {
		n.t.Fatal(err)
	}
	return status, respBody
}

// waitFor polls cond until it holds, and fails the test if timeout passes first.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if err := testnode.Poll(timeout, func() (bool, error) { return cond(), nil }); err != nil {
		t.Fatalf("timed out after %s waiting for %s", timeout, what)
	}
}

// fixture is the path of a test module.
func fixture(name string) string { return filepath.Join(repoRoot, "testdata", "wasm", name) }

// lines returns the non-empty lines of s.
func lines(s string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			out = append(out, l)
		}
	}
	return out
}
