// Package testnode runs the real `wisp` binary for end-to-end tests and
// benchmarks: it builds the command, starts `wisp serve` on free loopback
// ports with its own data directory, runs CLI commands against it, sends
// requests to its gateway and reads the process's resource usage from
// /proc. Nothing here calls Wisp's Go API, so code built on it sees the
// node exactly as a user does.
//
// The package does not import "testing": its functions return errors
// instead of failing a test, so it works from TestMain (one binary or node
// for a whole suite), from a test, and from a command such as bench/flood.
// Test packages wrap the calls they make in small helpers that fail the
// test. A suite builds the binary once and starts nodes from it:
//
//	func TestMain(m *testing.M) {
//		os.Exit(testnode.WithBinary(func(bin testnode.Binary) int {
//			wispBin, repoRoot = bin.Path, bin.Root
//			return m.Run()
//		}))
//	}
//
//	func TestHello(t *testing.T) {
//		n, err := testnode.Start(testnode.Options{Bin: wispBin, Data: t.TempDir(), Dir: repoRoot})
//		...
//		t.Cleanup(n.Kill)
//		res, err := n.Wisp("deploy", "examples/hello")
//		status, body, err := n.Get("/hello")
//		...
//	}
package testnode

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// modulePath is the module Root looks for.
const modulePath = "github.com/wisphq/wisp"

// Root returns the repository's top directory: the nearest directory at or
// above the working directory whose go.mod declares Wisp's module, so it
// works from any package directory and from any directory a command is run
// in.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repository root: %w", err)
	}
	for {
		if mod, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && declaresModule(string(mod)) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("find repository root: no go.mod of %s at or above the working directory; run from inside the Wisp repository", modulePath)
		}
		dir = parent
	}
}

// declaresModule reports whether the go.mod text mod is Wisp's.
func declaresModule(mod string) bool {
	for line := range strings.Lines(mod) {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "module" && strings.Trim(f[1], `"`) == modulePath {
			return true
		}
	}
	return false
}

// Build compiles the wisp command (./cmd/wisp of the module at root) into
// dir and returns the binary's path. It runs `go build`, so the first call
// after a change takes a few seconds; later ones use Go's build cache.
func Build(root, dir string) (string, error) {
	return BuildContext(context.Background(), root, dir)
}

// BuildContext is Build, with ctx ending the build early (`go build` is
// killed and the error is returned).
func BuildContext(ctx context.Context, root, dir string) (string, error) {
	bin := filepath.Join(dir, "wisp")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/wisp")
	cmd.Dir = root
	// As make build does: the binary tests run is the static one shipped.
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build wisp: %w\n%s", err, out)
	}
	return bin, nil
}

// BinaryOrBuild returns bin if it is set, for a command given a binary
// with a flag, and otherwise builds ./cmd/wisp of root into dir with
// BuildContext, saying so on progress.
func BinaryOrBuild(ctx context.Context, bin, root, dir string, progress io.Writer) (string, error) {
	if bin != "" {
		return bin, nil
	}
	fmt.Fprintln(progress, "building wisp...")
	return BuildContext(ctx, root, dir)
}

// Binary is the wisp binary WithBinary built for a test suite.
type Binary struct {
	Root string // the repository's top directory, from Root
	Path string // the built binary, inside a temporary directory
}

// WithBinary is the body of a TestMain that builds the binary once: it
// finds the repository with Root, builds its wisp command with Build into
// a new temporary directory, calls run with the binary (run typically
// stores it and returns m.Run()), removes the directory and returns run's
// result, the exit code. If it cannot build the binary it prints why to
// standard error and returns 1 without calling run. See the package
// documentation for an example.
func WithBinary(run func(Binary) int) int {
	root, err := Root()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	dir, err := os.MkdirTemp("", "wisp-test-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "build wisp: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin, err := Build(root, dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return run(Binary{Root: root, Path: bin})
}

// Poll calls cond every 20ms until it returns true or an error, or until
// timeout has passed, which is an error naming the timeout.
func Poll(timeout time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("still not done after %s", timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
