// Command compare is Wisp's peer benchmark: in one run on one machine it
// serves the same guest modules from Wisp and from the servers a user would
// otherwise pick, loads each with wrk over loopback, and writes the figures
// into docs/benchmarks.md. `make bench` runs it (after
// scripts/install-bench-tools.sh has installed wrk, Node.js and workerd).
//
// The servers, each its own OS process, started afresh for each module:
//
//   - native: a plain Go net/http handler answering "Hello, world!\n"
//     (./native), the upper bound every ratio is measured against;
//   - wisp: `wisp serve --deploy DIR` with the module's wisp.toml;
//   - raw wazero: a fresh wazero instance per request with nothing else
//     (./rawwazero), the engine's floor without Wisp's features;
//   - node: Node.js with node:wasi, a fresh instance per request
//     (node/server.mjs);
//   - workerd: Cloudflare's workerd from its npm package, a JS worker
//     instantiating the module per request with a minimal WASI shim
//     (workerd/worker.js).
//
// The modules: the WAT hello (examples/hello) and the C and Go hellos of
// bench/guests. Raw wazero, node and workerd run command modules (those
// exporting _start) only; a module without _start, such as a reactor Wisp
// pre-initializes, is run by Wisp alone and the report says so.
//
// For each server and module it measures the time from exec to the first
// 200 answer, then at each concurrency a warm-up and a measured wrk run
// (requests per second, p50 and p99 latency, errors), the server's CPU time
// (utime+stime from /proc/PID/stat) per request, and finally its peak RSS
// (VmHWM). It also runs the in-process benchmarks (`go test -bench` of
// ./internal/engine/) and records the machine and every version.
//
// Usage, from anywhere in the repository:
//
//	go run ./bench/compare [-quick] [-duration 10s] [-warmup 3s] [-conns 1,16] [-rounds 1]
//	                       [-servers LIST] [-targets LIST] [-doc docs/benchmarks.md] [-wisp PATH]
//
// -h lists every flag. The tables replace the "peers" section of -doc
// (see bench/internal/report) and go to stdout too; progress goes to
// stderr. It exits 1 if a server failed to start or answered with errors,
// after writing what it measured. Every process it starts is killed when
// it ends, also on failure and on SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// config is one run's parameters, from the flags.
type config struct {
	duration  time.Duration // of each measured wrk run
	warmup    time.Duration // of the wrk run before each measured one; 0 for none
	conns     []int         // the concurrencies: wrk connections
	rounds    int           // how many times everything is measured; the report has medians
	servers   []string      // server names to run, in report order
	targets   []string      // target names to run, in report order
	doc       string        // markdown file whose section gets the tables; "" for none
	section   string        // the section's name
	wisp      string        // wisp binary; "" builds ./cmd/wisp
	tools     string        // directory holding node_modules/ with workerd
	goBench   []string      // packages for `go test -bench`; none to skip
	benchTime string        // go test -benchtime
}

// defaultServers and defaultTargets are every server and target, in report order.
var (
	defaultServers = []string{"native", "wisp", "rawwazero", "rawwazero-interrupt", "node", "workerd"}
	defaultTargets = []string{"hello-wat", "hello-c", "hello-go", "hello-go-reactor", "sha256-c"}
)

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, cfg))
}

// parseFlags reads the command line into a config.
func parseFlags(args []string) (config, error) {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	var cfg config
	var conns, servers, targets, goBench string
	quick := fs.Bool("quick", false, "a short run to check the harness: 2s runs after 1s of warm-up, -benchtime 0.2s (overrides -duration, -warmup and -benchtime)")
	fs.DurationVar(&cfg.duration, "duration", 10*time.Second, "length of each measured wrk run (whole seconds)")
	fs.DurationVar(&cfg.warmup, "warmup", 3*time.Second, "length of the wrk run before each measured one (whole seconds; 0 for none)")
	fs.StringVar(&conns, "conns", "1,16", "comma-separated concurrencies (wrk connections; wrk gets min(conns, 2) threads)")
	fs.IntVar(&cfg.rounds, "rounds", 1, "measure everything this many times and report medians")
	fs.StringVar(&servers, "servers", strings.Join(defaultServers, ","), "comma-separated servers to run")
	fs.StringVar(&targets, "targets", strings.Join(defaultTargets, ","), "comma-separated modules to serve")
	fs.StringVar(&cfg.doc, "doc", "docs/benchmarks.md", "markdown file to write the tables into, relative to the repository (\"\" for stdout only)")
	fs.StringVar(&cfg.section, "section", "peers", "name of the section of -doc that the tables replace")
	fs.StringVar(&cfg.wisp, "wisp", "", "wisp binary to run (default: build ./cmd/wisp into a temporary directory)")
	fs.StringVar(&cfg.tools, "tools", "bench/.tools", "directory where scripts/install-bench-tools.sh installed workerd (node_modules/ inside), relative to the repository")
	fs.StringVar(&goBench, "gobench", "./internal/engine/", "comma-separated packages whose benchmarks (go test -bench=.) give the in-process figures (\"\" to skip)")
	fs.StringVar(&cfg.benchTime, "benchtime", "1s", "go test -benchtime of the in-process benchmarks")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q; see -h", fs.Arg(0))
	}
	if *quick {
		cfg.duration, cfg.warmup, cfg.benchTime = 2*time.Second, time.Second, "0.2s"
	}
	if cfg.duration < time.Second || cfg.duration%time.Second != 0 || cfg.warmup < 0 || cfg.warmup%time.Second != 0 {
		return cfg, fmt.Errorf("-duration %s and -warmup %s must be whole seconds (wrk's unit), -duration at least 1s", cfg.duration, cfg.warmup)
	}
	if cfg.rounds < 1 {
		return cfg, fmt.Errorf("-rounds %d must be at least 1", cfg.rounds)
	}
	var err error
	if cfg.conns, err = parseConns(conns); err != nil {
		return cfg, err
	}
	if cfg.servers, err = pick("server", servers, defaultServers); err != nil {
		return cfg, err
	}
	if cfg.targets, err = pick("target", targets, defaultTargets); err != nil {
		return cfg, err
	}
	cfg.goBench = splitList(goBench)
	return cfg, nil
}

// parseConns parses "1,16" into [1 16].
func parseConns(s string) ([]int, error) {
	var out []int
	for _, f := range splitList(s) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-conns: %q is not a positive number of connections; use a list like 1,16", f)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("-conns is empty; use a list like 1,16")
	}
	return out, nil
}

// pick checks that every name in the list s is one of known, and returns
// them in known's order.
func pick(what, s string, known []string) ([]string, error) {
	want := map[string]bool{}
	for _, name := range splitList(s) {
		found := false
		for _, k := range known {
			found = found || k == name
		}
		if !found {
			return nil, fmt.Errorf("unknown %s %q; choose among %s", what, name, strings.Join(known, ", "))
		}
		want[name] = true
	}
	var out []string
	for _, k := range known {
		if want[k] {
			out = append(out, k)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no %s chosen; choose among %s", what, strings.Join(known, ", "))
	}
	return out, nil
}

// splitList splits a comma-separated list, dropping empty elements.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
