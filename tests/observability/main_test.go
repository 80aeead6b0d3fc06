// Package observability tests a node's metrics and traces against real
// peers: Debian's Prometheus server scrapes `wisp serve` and promtool
// checks its exposition; an OTLP/HTTP receiver decodes the spans the node
// exports with the OpenTelemetry proto types, and an upstream on loopback
// sees the trace context a guest's outbound call carries. Everything runs
// on loopback, bounded in time, in temp directories.
//
// Without prometheus and promtool (scripts/install-test-tools.sh installs
// them) the Prometheus test is skipped, unless CI=true or
// WISP_REQUIRE_PROMETHEUS=1, where it fails.
package observability

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/wisphq/wisp/internal/testnode"
)

var wispBin, repoRoot string

func TestMain(m *testing.M) {
	os.Exit(testnode.WithBinary(func(bin testnode.Binary) int {
		wispBin, repoRoot = bin.Path, bin.Root
		return m.Run()
	}))
}

// startNode runs `wisp serve` with extra flags and environment; it is
// killed when the test ends.
func startNode(t *testing.T, env []string, args ...string) *testnode.Node {
	t.Helper()
	n, err := testnode.Start(testnode.Options{Bin: wispBin, Data: t.TempDir(), Dir: repoRoot, Args: args, Env: env})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Kill)
	return n
}

// requireTool returns the path of a command the test runs, skipping the
// test if it is missing (failing it in CI).
func requireTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" || os.Getenv("WISP_REQUIRE_PROMETHEUS") == "1" {
		t.Fatalf("%s is not installed: run scripts/install-test-tools.sh (Debian's prometheus package)", name)
	}
	t.Skipf("%s is not installed (scripts/install-test-tools.sh installs it)", name)
	return ""
}

// outboundApp writes a directory with testdata/wasm/wagi-http.wasm and a
// wisp.toml allowing it to call loopback, and returns it: a request to
// /wagi?URL makes the app POST to URL.
func outboundApp(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	wasm, err := os.ReadFile(filepath.Join(repoRoot, "testdata", "wasm", "wagi-http.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "wagi.wasm"), wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	manifest := "name = \"wagi\"\nmodule = \"wagi.wasm\"\nroutes = [\"/wagi\"]\nallowed_outbound_hosts = [\"http://127.0.0.1:*\"]\n"
	if err := os.WriteFile(filepath.Join(dir, "wisp.toml"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}
