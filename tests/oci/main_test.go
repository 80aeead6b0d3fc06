// Package oci tests OCI distribution end to end, as a user meets it: the
// real `wisp` binary pushes modules to a real registry (Debian's
// docker-registry, the reference distribution registry, started by the
// tests on a loopback port), and a node started with `wisp serve` deploys
// them from there by tag and by digest and serves requests with them.
// Tampered registry content is refused, and credentials work the way
// docker and oras users expect.
//
// Without docker-registry the tests skip, unless CI=true or
// WISP_REQUIRE_REGISTRY=1 (see internal/oci/ocitest).
package oci

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp/internal/oci/ocitest"
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

// setup starts a registry (with opts) and a node for the test, and gives
// both, and every command the test runs, an empty docker config of the
// test's own and no WISP_REGISTRY_* variables.
func setup(t *testing.T, opts ocitest.Options, nodeArgs ...string) (*ocitest.Registry, *testnode.Node) {
	t.Helper()
	reg := ocitest.Start(t, opts)
	t.Setenv("DOCKER_CONFIG", t.TempDir()) // the node inherits the environment
	for _, k := range []string{"WISP_REGISTRY_USERNAME", "WISP_REGISTRY_PASSWORD", "WISP_REGISTRY_PLAIN_HTTP"} {
		t.Setenv(k, "")
	}
	return reg, startNode(t, nodeArgs...)
}

// startNode runs `wisp serve` with extra flags until the test ends.
func startNode(t *testing.T, args ...string) *testnode.Node {
	t.Helper()
	n, err := testnode.Start(testnode.Options{Bin: wispBin, Data: t.TempDir(), Dir: repoRoot, Args: args})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Kill)
	return n
}

// run runs a wisp command against n and returns what it printed.
func run(t *testing.T, n *testnode.Node, args ...string) testnode.Result {
	t.Helper()
	res, err := n.Wisp(args...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// must runs a wisp command that must succeed and returns its stdout.
func must(t *testing.T, n *testnode.Node, args ...string) string {
	t.Helper()
	out, err := n.CLI().Output(context.Background(), args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// push pushes the module at path (relative to the repository) to ref and
// returns the pushed reference by digest alone, REGISTRY/REPOSITORY@sha256:...
func push(t *testing.T, n *testnode.Node, path, ref string) string {
	t.Helper()
	out := strings.TrimSpace(must(t, n, "push", path, ref))
	pushed, ok := strings.CutPrefix(out, "pushed "+ref+"@")
	if !ok {
		t.Fatalf("wisp push printed %q; want \"pushed %s@sha256:...\"", out, ref)
	}
	repo := ref[:strings.LastIndex(ref, ":")]
	return repo + "@" + pushed
}

// manifest writes a wisp.toml into a new directory and returns the directory.
func manifest(t *testing.T, name, module, route string) string {
	t.Helper()
	dir := t.TempDir()
	toml := "name = \"" + name + "\"\nmodule = \"" + module + "\"\nroutes = [\"" + route + "\"]\n"
	if err := os.WriteFile(filepath.Join(dir, "wisp.toml"), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// get requests path on n's gateway.
func get(t *testing.T, n *testnode.Node, path string) (int, string) {
	t.Helper()
	status, body, err := n.Get(path)
	if err != nil {
		t.Fatal(err)
	}
	return status, body
}

// waitFor polls cond until it holds, and fails the test after timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if err := testnode.Poll(timeout, func() (bool, error) { return cond(), nil }); err != nil {
		t.Fatalf("timed out after %s waiting for %s", timeout, what)
	}
}

// fixture is the path of a test module, relative to the repository.
func fixture(name string) string { return filepath.Join("testdata", "wasm", name) }
