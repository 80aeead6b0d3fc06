// Command observability measures what metrics and traces cost a node:
// requests per second of bench/guests/hello-c over keep-alive HTTP on
// loopback with three configurations of the same binary, in alternating
// rounds so drift on the machine spreads evenly:
//
//   - off:     --metrics=false and no OTEL_* variables (the node as it was
//     before observability: no Observer at all)
//   - metrics: the default, Prometheus metrics on, traces off
//   - traces:  metrics on and every request traced (OTEL_TRACES_SAMPLER=
//     always_on), spans exported by OTLP/HTTP to a receiver on loopback
//     in this process that reads and discards them
//
// It prints a markdown table (median req/s of the rounds, each against
// off) and, with -doc, writes it into the "observability" section of
// docs/benchmarks.md. The bar: metrics within 3% of off.
//
// Usage, from anywhere in the repository:
//
//	go run ./bench/observability [-bin PATH] [-rounds 5] [-duration 10s] [-connections 16] [-doc docs/benchmarks.md]
//
// Client and node share the machine: the figures include the load
// generator's own cost, the same in every configuration.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/wisphq/wisp/bench/internal/report"
	"github.com/wisphq/wisp/bench/internal/testbed"
	"github.com/wisphq/wisp/internal/testnode"
)

type config struct {
	bin         string
	rounds      int
	duration    time.Duration
	connections int
	doc         string
}

// setup is one configuration of the node.
type setup struct {
	name, what string
	args, env  []string
}

func main() {
	var cfg config
	flag.StringVar(&cfg.bin, "bin", "", "wisp binary to run (default: build ./cmd/wisp into a temp dir)")
	flag.IntVar(&cfg.rounds, "rounds", 5, "rounds; each measures every configuration once")
	flag.DurationVar(&cfg.duration, "duration", 10*time.Second, "load time of one configuration in one round")
	flag.IntVar(&cfg.connections, "connections", 16, "keep-alive connections sending requests, each one at a time")
	flag.StringVar(&cfg.doc, "doc", "", "markdown file whose \"observability\" section gets the table (such as docs/benchmarks.md)")
	flag.Parse()
	if flag.NArg() > 0 || cfg.rounds < 1 || cfg.connections < 1 || cfg.duration <= 0 {
		fmt.Fprintln(os.Stderr, "observability: unexpected arguments or a count below 1; see go run ./bench/observability -h")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "observability:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg config, stdout, stderr io.Writer) error {
	root, err := testnode.Root()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "wisp-bench-observability-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := cfg.bin
	if bin == "" {
		if bin, err = testnode.BuildContext(ctx, root, tmp); err != nil {
			return err
		}
	}
	// The spans' destination: read whole, then dropped, as a collector
	// would take them.
	var exports atomic.Int64
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		exports.Add(1)
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer sink.Close()
	setups := []setup{
		{name: "off", what: "--metrics=false, no OTEL_* (no Observer)", args: []string{"--metrics=false"}},
		{name: "metrics", what: "metrics on (the default), traces off"},
		{name: "traces", what: "metrics on, every request traced and exported by OTLP/HTTP",
			env: []string{"OTEL_EXPORTER_OTLP_ENDPOINT=" + sink.URL, "OTEL_TRACES_SAMPLER=always_on"}},
	}
	rates := make([][]float64, len(setups))
	for round := 1; round <= cfg.rounds; round++ {
		for i, s := range setups {
			rate, err := measure(ctx, cfg, bin, root, filepath.Join(tmp, fmt.Sprintf("%s-%d", s.name, round)), s)
			if err != nil {
				return fmt.Errorf("%s, round %d: %w", s.name, round, err)
			}
			fmt.Fprintf(stderr, "round %d %-8s %8.0f req/s\n", round, s.name, rate)
			rates[i] = append(rates[i], rate)
		}
	}
	if exports.Load() == 0 {
		return fmt.Errorf("the traced node exported no spans to the receiver")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "hello-c over HTTP, %d keep-alive connections, %s per configuration and round, %d rounds, median (`go run ./bench/observability`; %s).\n\n",
		cfg.connections, cfg.duration, cfg.rounds, testbed.Machine())
	b.WriteString("| configuration | req/s (median) | against off | rounds |\n|---|---|---|---|\n")
	base := median(rates[0])
	for i, s := range setups {
		m := median(rates[i])
		fmt.Fprintf(&b, "| %s: %s | %.0f | %+.1f%% | %s |\n", s.name, s.what, m, 100*(m/base-1), join(rates[i]))
	}
	fmt.Fprint(stdout, b.String())
	if cfg.doc != "" {
		return report.ReplaceSection(cfg.doc, "observability", b.String())
	}
	return nil
}

// measure starts a node with s, deploys hello-c, warms it up, and returns
// the requests per second it answered during cfg.duration.
func measure(ctx context.Context, cfg config, bin, root, data string, s setup) (float64, error) {
	args := append([]string{"--deploy", "bench/guests/hello-c", "--log-level", "error"}, s.args...)
	n, err := testnode.StartContext(ctx, testnode.Options{Bin: bin, Data: data, Dir: root, Args: args, Env: s.env, OutputLimit: 1 << 16})
	if err != nil {
		return 0, err
	}
	defer n.Kill()
	url := n.Gateway + "/hello-c"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: cfg.connections}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	load := func(d time.Duration) (int64, error) {
		var done, failed atomic.Int64
		var firstErr atomic.Value
		ctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		var wg sync.WaitGroup
		for range cfg.connections {
			wg.Go(func() {
				for ctx.Err() == nil {
					status, _, err := testbed.Get(ctx, client, url)
					switch {
					case ctx.Err() != nil:
					case err != nil || status != 200:
						failed.Add(1)
						firstErr.CompareAndSwap(nil, fmt.Sprintf("status %d, %v", status, err))
					default:
						done.Add(1)
					}
				}
			})
		}
		wg.Wait()
		if failed.Load() > 0 {
			return 0, fmt.Errorf("%d requests failed, the first: %v", failed.Load(), firstErr.Load())
		}
		return done.Load(), nil
	}
	if _, err := load(min(cfg.duration/5, 2*time.Second)); err != nil { // warm-up
		return 0, err
	}
	start := time.Now()
	count, err := load(cfg.duration)
	if err != nil {
		return 0, err
	}
	return float64(count) / time.Since(start).Seconds(), nil
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func join(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf("%.0f", x)
	}
	return strings.Join(parts, ", ")
}
