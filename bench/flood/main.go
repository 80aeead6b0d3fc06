// Command flood measures whether a Wisp node keeps serving a healthy app
// while another app on the same node, a module that loops forever, is
// flooded with requests.
//
// It builds the real `wisp` binary (or uses -bin), starts a node on
// loopback ports with a fresh data dir, and deploys two apps with the CLI:
// testdata/wasm/version1.wasm as the healthy app and testdata/wasm/loop.wasm
// with a short timeout and a small max_concurrency. It measures the
// healthy app's latency with no flood, then again while many keep-alive
// clients hammer the looping app, and prints a markdown table: latency
// percentiles, errors, the looping app's status codes (504 when its
// timeout kills an instance, 503 when its slots and queue are full) and
// the node's /healthz failures, with the machine's facts.
//
// Usage, from anywhere in the repository:
//
//	go run ./bench/flood [-bin PATH] [-requests 2000] [-concurrency 4] [-flood 64] [-loop-timeout 1s] [-loop-concurrency 16]
//
// It exits 1 if the healthy app failed a request, the looping app answered
// anything but 504 or 503 or hung past its limits, or /healthz failed.
// Client and node share the machine, so the latencies include the load
// generator's own cost.
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
	"time"

	"github.com/wisphq/wisp/internal/testnode"
)

// config is one run's parameters.
type config struct {
	bin             string        // wisp binary; "" builds ./cmd/wisp
	requests        int           // healthy requests per phase
	concurrency     int           // healthy clients
	flood           int           // clients flooding the looping app
	loopTimeout     time.Duration // the looping app's limits.timeout
	loopConcurrency int           // the looping app's limits.max_concurrency
}

func main() {
	var cfg config
	flag.StringVar(&cfg.bin, "bin", "", "wisp binary to run (default: build ./cmd/wisp into a temp dir)")
	flag.IntVar(&cfg.requests, "requests", 2000, "requests to the healthy app in each phase")
	flag.IntVar(&cfg.concurrency, "concurrency", 4, "clients sending the healthy app's requests, each one at a time")
	flag.IntVar(&cfg.flood, "flood", 64, "keep-alive clients requesting the looping app as fast as it answers")
	flag.DurationVar(&cfg.loopTimeout, "loop-timeout", time.Second, "limits.timeout of the looping app")
	flag.IntVar(&cfg.loopConcurrency, "loop-concurrency", 16, "limits.max_concurrency of the looping app")
	flag.Parse()
	if flag.NArg() > 0 || cfg.requests < 1 || cfg.concurrency < 1 || cfg.flood < 1 || cfg.loopTimeout <= 0 || cfg.loopConcurrency < 1 {
		fmt.Fprintln(os.Stderr, "flood: unexpected arguments or a count below 1; see go run ./bench/flood -h")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, cfg, os.Stdout, os.Stderr))
}

// run measures, writes the report to stdout and progress to stderr, and
// returns the exit code.
func run(ctx context.Context, cfg config, stdout, stderr io.Writer) int {
	res, err := measure(ctx, cfg, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "flood:", err)
		return 1
	}
	writeReport(stdout, res)
	if problems := res.problems(); len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(stderr, "flood: FAIL:", p)
		}
		return 1
	}
	return 0
}

// result is everything one run measured.
type result struct {
	cfg        config
	version    string // `wisp version` of the node
	when       time.Time
	baseline   phase
	during     phase
	loop       *flood
	floodTime  time.Duration // how long the flood ran
	health     probes
	nodeExit   error // how the node ended after SIGTERM
	nodeStderr string
}

// measure starts a node, deploys the two apps and runs both phases,
// writing progress to progress.
func measure(ctx context.Context, cfg config, progress io.Writer) (*result, error) {
	root, err := testnode.Root()
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "wisp-flood-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	bin, err := testnode.BinaryOrBuild(ctx, cfg.bin, root, tmp, progress)
	if err != nil {
		return nil, err
	}
	n, err := testnode.StartContext(ctx, testnode.Options{
		Bin:          bin,
		Data:         filepath.Join(tmp, "data"),
		Dir:          root,
		Args:         []string{"--grace", "5s"},
		StartTimeout: time.Minute,
		OutputLimit:  64 << 10, // the node logs a line per request; only the end matters when something fails
	})
	if err != nil {
		return nil, err
	}
	defer n.Kill() // after Stop below, a no-op
	cli := n.CLI()
	res := &result{cfg: cfg, when: time.Now().UTC()}
	if res.version, err = cli.Output(ctx, "version"); err != nil {
		return nil, err
	}
	for _, args := range [][]string{
		{"deploy", "testdata/wasm/version1.wasm", "--name", "healthy", "--route", "/healthy"},
		{"deploy", "testdata/wasm/loop.wasm", "--name", "loop", "--route", "/loop",
			"--timeout", cfg.loopTimeout.String(), "--max-concurrency", fmt.Sprint(cfg.loopConcurrency)},
	} {
		if _, err := cli.Output(ctx, args...); err != nil {
			return nil, err
		}
	}

	healthy := n.Gateway + "/healthy"
	const want = "v1\n"
	if warm := measureHealthy(ctx, healthy, want, 100, cfg.concurrency); warm.Errors > 0 {
		return nil, fmt.Errorf("the healthy app fails before any flood: %d errors, first: %s\nnode stderr:\n%s", warm.Errors, warm.FirstErr, n.Stderr)
	}
	fmt.Fprintf(progress, "no flood: %d requests to the healthy app...\n", cfg.requests)
	res.baseline = measureHealthy(ctx, healthy, want, cfg.requests, cfg.concurrency)

	fmt.Fprintf(progress, "flood: %d clients on the looping app...\n", cfg.flood)
	floodCtx, stopFlood := context.WithCancel(ctx)
	defer stopFlood()
	floodStart := time.Now()
	// A request may wait one timeout for a slot and run for another.
	loop, waitFlood := startFlood(floodCtx, n.Gateway+"/loop", cfg.flood, 2*cfg.loopTimeout+10*time.Second)
	res.loop = loop
	health := pollHealth(floodCtx, n.Admin+"/healthz", 50*time.Millisecond)
	if err := waitSaturated(ctx, res.loop, cfg.flood > 2*cfg.loopConcurrency, 2*cfg.loopTimeout+30*time.Second); err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "flood: %d requests to the healthy app...\n", cfg.requests)
	res.during = measureHealthy(ctx, healthy, want, cfg.requests, cfg.concurrency)
	stopFlood()
	waitFlood()
	res.floodTime = time.Since(floodStart)
	res.health = <-health

	res.nodeExit = n.Stop(10 * time.Second) // drains, or is killed after 10s
	res.nodeStderr = n.Stderr.String()
	return res, ctx.Err()
}
