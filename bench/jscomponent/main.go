// Command jscomponent is the components benchmark of issue 12: the
// per-request cost of a JavaScript hello-world component, served three
// ways from one source (hello.js) in one run, and a C and a WAT hello as
// a component against the same code as a core module.
//
//   - Wisp: the real binary, `wisp serve --deploy DIR`, serving hello.js
//     built into a wasi:http component by componentize-js (a fresh
//     instance of the pre-initialized heap per request);
//   - workerd: hello.js as a service-worker script (workerd/config.capnp),
//     one isolate for every request;
//   - jco serve: the same component on Node.js, a fresh worker per
//     request (--isolate-requests worker; without it the component
//     answers one request only: StarlingMonkey refuses a second
//     respondWith).
//
// Each is loaded with wrk at each concurrency on loopback after a warm-up;
// the report has req/s, p50, p99 and the server's peak RSS (VmHWM summed
// over its process group). In process it measures one request through the
// gateway handler (httptest recorder, no network) for the JS component,
// and testdata/components' counter (WAT) and printenv (C) against their
// core modules of testdata/wasm.
//
// Usage, from the repository (after scripts/install-bench-tools.sh and
// scripts/install-jco.sh):
//
//	go run ./bench/jscomponent [-duration 5s] [-warmup 2s] [-conns 1,16] [-write]
//
// -write replaces the "components" section of docs/benchmarks.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wisphq/wisp/bench/internal/report"
	"github.com/wisphq/wisp/internal/testnode"
)

// config is one run's parameters, from the flags.
type config struct {
	duration, warmup time.Duration
	conns            []int
	inProcess        time.Duration // of each in-process measurement
	write            bool
}

func main() {
	var cfg config
	var conns string
	flag.DurationVar(&cfg.duration, "duration", 5*time.Second, "length of each measured wrk run (whole seconds)")
	flag.DurationVar(&cfg.warmup, "warmup", 2*time.Second, "length of the wrk run before the measured ones (whole seconds)")
	flag.StringVar(&conns, "conns", "1,16", "comma-separated wrk connection counts")
	flag.DurationVar(&cfg.inProcess, "inprocess", 3*time.Second, "length of each in-process measurement")
	flag.BoolVar(&cfg.write, "write", false, "replace the components section of docs/benchmarks.md")
	flag.Parse()
	for _, f := range strings.Split(conns, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			log.Fatalf("jscomponent: -conns: %q is not a positive number; use a list like 1,16", f)
		}
		cfg.conns = append(cfg.conns, n)
	}
	if cfg.duration < time.Second || cfg.duration%time.Second != 0 || cfg.warmup < time.Second || cfg.warmup%time.Second != 0 {
		log.Fatalf("jscomponent: -duration %s and -warmup %s must be whole seconds, at least 1s", cfg.duration, cfg.warmup)
	}
	root, err := testnode.Root()
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	table, err := run(ctx, root, cfg)
	if err != nil {
		log.Fatal("jscomponent: ", err)
	}
	fmt.Print(table)
	if cfg.write {
		if err := report.ReplaceSection(filepath.Join(root, "docs", "benchmarks.md"), "components", table); err != nil {
			log.Fatal(err)
		}
	}
}
