// Command manyapps measures a Wisp node holding many apps: thousands of
// distinct small apps deployed on one node, most of them idle. It checks
// the targets "10,000 apps on one node: RSS under 1 GiB with all idle, and
// the first request to any one of them, its compiled code on disk rather
// than in memory, under 5 ms p99".
//
// It builds the real `wisp` binary (or uses -bin), starts `wisp serve` on
// loopback with a fresh data directory and a code cache (--code-cache)
// small enough that most apps' compiled code is not in memory, and
// deploys -apps distinct modules through the admin API: examples/hello,
// each with its own message, so each has its own compiled code. Then it
// measures:
//
//   - deploy throughput, and the node's memory with every app idle (VmRSS
//     and VmHWM from /proc);
//   - the first request to -sample random apps whose code is not in
//     memory (each requested once; the node's code_loads counter confirms
//     each loaded its code), and a second request to each (warm);
//   - a restart on the same data: time from starting the process to
//     /readyz answering 200, and the first request to -sample random apps;
//   - another restart with the default --code-cache, big enough for every
//     app's code: the node's memory with all of it in memory.
//
// Usage, from anywhere in the repository:
//
//	go run ./bench/manyapps [-apps 10000] [-sample 1000] [-code-cache auto] [-bin PATH] [-write=false]
//
// It prints the results as markdown and writes them into
// docs/benchmarks.md, section "manyapps" (unless -write=false). It exits 1
// if the run failed (an app answered wrongly, the node died); missing a
// target is reported, not a failure. Client and node share the machine,
// so latencies include the client's own cost and an HTTP round trip on
// loopback.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/bench/internal/report"
	"github.com/wisphq/wisp/internal/testnode"
)

// config is one run's parameters.
type config struct {
	bin       string        // wisp binary; "" builds ./cmd/wisp
	apps      int           // apps to deploy
	sample    int           // apps requested in each latency phase
	codeCache wisp.ByteSize // the node's --code-cache; 0: a tenth of the apps' code
	deployers int           // concurrent deploy clients
	seed      int64         // of the random choice of apps
	write     bool          // write docs/benchmarks.md
}

func main() {
	var cfg config
	codeCache := flag.String("code-cache", "auto", "the node's --code-cache, small enough that most apps' code is not in memory; auto: room for a tenth of the apps")
	flag.StringVar(&cfg.bin, "bin", "", "wisp binary to run (default: build ./cmd/wisp into a temp dir)")
	flag.IntVar(&cfg.apps, "apps", 10000, "distinct apps to deploy")
	flag.IntVar(&cfg.sample, "sample", 1000, "random apps requested in each latency phase (at most -apps)")
	flag.IntVar(&cfg.deployers, "deployers", 4, "concurrent clients deploying (the node serializes deploys; clients overlap uploads and round trips)")
	flag.Int64Var(&cfg.seed, "seed", 1, "seed of the random choice of apps to request")
	flag.BoolVar(&cfg.write, "write", true, "write the results into docs/benchmarks.md, section \"manyapps\"")
	flag.Parse()
	if flag.NArg() > 0 || cfg.apps < 1 || cfg.sample < 1 || cfg.deployers < 1 {
		fmt.Fprintln(os.Stderr, "manyapps: unexpected arguments, or a count below 1; see go run ./bench/manyapps -h")
		os.Exit(2)
	}
	cfg.sample = min(cfg.sample, cfg.apps)
	cfg.codeCache = (wisp.ByteSize(cfg.apps/10+1)*helloCodeCost + 1<<20 - 1) &^ (1<<20 - 1) // whole MiB
	if *codeCache != "auto" {
		var err error
		if cfg.codeCache, err = wisp.ParseByteSize(*codeCache); err != nil || cfg.codeCache < 1 {
			fmt.Fprintf(os.Stderr, "manyapps: -code-cache %q: give a size such as 16MiB, or auto\n", *codeCache)
			os.Exit(2)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, cfg, os.Stdout, os.Stderr))
}

// helloCodeCost is what the node counts for the compiled code of one of
// the apps (internal/engine's estimate for a module this size).
const helloCodeCost = 13300

// run measures, prints the report to stdout and progress to stderr,
// writes the report into docs/benchmarks.md, and returns the exit code.
func run(ctx context.Context, cfg config, stdout, stderr io.Writer) int {
	root, err := testnode.Root()
	if err != nil {
		fmt.Fprintln(stderr, "manyapps:", err)
		return 1
	}
	res, err := measure(ctx, cfg, root, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "manyapps:", err)
		return 1
	}
	text := markdown(res)
	fmt.Fprint(stdout, text)
	if cfg.write {
		doc := filepath.Join(root, "docs", "benchmarks.md")
		if err := report.ReplaceSection(doc, "manyapps", text); err != nil {
			fmt.Fprintln(stderr, "manyapps:", err)
			return 1
		}
		fmt.Fprintf(stderr, "wrote section \"manyapps\" of %s\n", doc)
	}
	return 0
}
