// Command propagation measures how long a deploy takes to reach a whole
// fleet: from the moment a node acknowledges the deploy to the moment
// every node's gateway answers with the new version. It checks the target
// "under 1 s p99 on loopback".
//
// It builds the real `wisp` and `nats-server` binaries, starts three
// nats-server processes in a JetStream cluster (file storage, fsync on
// every write, buckets with 3 replicas) and three `wisp serve --nats`
// nodes on loopback, then deploys -deploys versions of one app through
// node 1 in two series:
//
//   - new module: every version is a different module (printenv.wasm with
//     its own custom section), so the other nodes fetch it from the
//     JetStream Object Store and compile it before they switch;
//   - new settings: the same module with another environment variable, so
//     they only load the new version from code they already compiled.
//
// After each acknowledgement it polls all three gateways (every
// millisecond each) until each answers with the new version's
// VERSION=N, and records when the last one did.
//
// Usage, from anywhere in the repository:
//
//	go run ./bench/propagation [-deploys 50] [-write=false]
//
// It prints the results as markdown and writes them into
// docs/benchmarks.md, section "propagation" (unless -write=false). It
// exits 1 if the run failed; missing the target is reported, not a
// failure.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	deploys := flag.Int("deploys", 50, "deploys in each series")
	write := flag.Bool("write", true, "write the results into docs/benchmarks.md, section \"propagation\"")
	flag.Parse()
	if flag.NArg() > 0 || *deploys < 1 {
		fmt.Fprintln(os.Stderr, "propagation: unexpected arguments, or -deploys below 1; see go run ./bench/propagation -h")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *deploys, *write); err != nil {
		fmt.Fprintln(os.Stderr, "propagation:", err)
		os.Exit(1)
	}
}
