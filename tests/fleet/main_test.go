// Package fleet runs a real fleet on loopback: three nats-server processes
// in a JetStream cluster and three `wisp serve --nats` processes, driven
// through the CLI, the admin API and the gateways only. It kills nodes and
// NATS servers mid-way and checks that deploys reach every node, that no
// acknowledged deploy is lost, and that concurrent deploys have exactly
// one winner. Skipped with -short.
package fleet

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/wisphq/wisp/internal/testnode"
)

// wispBin and natsBin are the binaries under test, built once by
// TestMain; repoRoot is the repository's top directory.
var wispBin, natsBin, repoRoot string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run()) // every test skips itself
	}
	os.Exit(testnode.WithBinary(func(bin testnode.Binary) int {
		wispBin, repoRoot = bin.Path, bin.Root
		dir, err := os.MkdirTemp("", "wisp-fleet-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		if natsBin, err = testnode.BuildNATS(ctx, repoRoot, dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return m.Run()
	}))
}
