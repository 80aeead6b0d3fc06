// Command hostcalls measures what a platform-service call costs a guest
// beyond the service's own work: each host call of docs/guest-abi.md made
// by a real module in a real node (bbolt key-value store, a variable,
// outbound HTTP to a server on loopback), beside the same operation done
// directly in Go on the same backend. It also measures the Go example app
// (examples/links-go: a KV read, an increment, a variable) in requests per
// second through the gateway.
//
// A guest (bench/guests/hostbench/hostbench.c) repeats one call N
// times; the cost of a call is the time of a run with N calls less that of
// a run with none, divided by N, so the instance's own start is not
// counted. The direct figure runs the same operation N times from Go.
//
// Usage, from the repository:
//
//	go run ./bench/hostcalls [-n 2000] [-runs 15] [-duration 5s] [-write]
//
// -write replaces the "hostcalls" section of docs/benchmarks.md.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/bench/internal/report"
	"github.com/wisphq/wisp/bench/internal/testbed"
	"github.com/wisphq/wisp/boltstore"
	"github.com/wisphq/wisp/gateway"
	"github.com/wisphq/wisp/internal/egress"
	"github.com/wisphq/wisp/internal/manifest"
	"github.com/wisphq/wisp/internal/secretbox"
	"github.com/wisphq/wisp/internal/testnode"
)

type config struct {
	n        int
	runs     int
	duration time.Duration
	write    bool
}

func main() {
	var cfg config
	flag.IntVar(&cfg.n, "n", 2000, "calls per measured run (outbound HTTP: a tenth)")
	flag.IntVar(&cfg.runs, "runs", 15, "runs per figure; the median is reported")
	flag.DurationVar(&cfg.duration, "duration", 5*time.Second, "how long to load the example app")
	flag.BoolVar(&cfg.write, "write", false, "replace the hostcalls section of docs/benchmarks.md")
	flag.Parse()
	root, err := testnode.Root()
	if err != nil {
		log.Fatal(err)
	}
	table, err := run(context.Background(), root, cfg)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(table)
	if cfg.write {
		if err := report.ReplaceSection(filepath.Join(root, "docs", "benchmarks.md"), "hostcalls", table); err != nil {
			log.Fatal(err)
		}
	}
}

// bench holds the node under measurement.
type bench struct {
	node *wisp.Node
	kv   wisp.KVStore
	vars wisp.KVStore
	url  string
}

func run(ctx context.Context, root string, cfg config) (string, error) {
	dir, err := os.MkdirTemp("", "wisp-hostcalls-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	store, err := boltstore.Open(filepath.Join(dir, "data"))
	if err != nil {
		return "", err
	}
	defer store.Close()
	key, err := secretbox.GenerateKey()
	if err != nil {
		return "", err
	}
	sealer, err := secretbox.New(key)
	if err != nil {
		return "", err
	}
	node, err := wisp.New(wisp.Config{Store: store, KV: store.KV(), Sealer: sealer})
	if err != nil {
		return "", err
	}
	defer node.Close(ctx)
	if err := node.Load(ctx); err != nil {
		return "", err
	}
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "pong")
	}))
	defer upstream.Close()

	b := &bench{node: node, url: upstream.URL + "/ping"}
	if err := b.deploy(ctx, root); err != nil {
		return "", err
	}
	if b.kv, err = store.KV().Open(ctx, "default", wisp.KVQuota{}); err != nil {
		return "", err
	}
	if b.vars, err = store.KV().Open(ctx, "_variables", wisp.KVQuota{}); err != nil {
		return "", err
	}
	if _, err := b.kv.Set(ctx, "k", []byte("value-0123456789"), time.Time{}); err != nil {
		return "", err
	}
	if err := node.SetVariable(ctx, "hostbench", "greeting", "hello", false); err != nil {
		return "", err
	}
	client := egress.New(egress.Options{})
	defer client.Close()
	policy, err := egress.Parse([]string{"http://127.0.0.1:*"})
	if err != nil {
		return "", err
	}
	ops := []struct {
		name, op, backend string
		n, runs           int
		direct            func() error
	}{
		{"key-value get (bbolt)", "get", "`KVStore.Get`", cfg.n, cfg.runs, func() error { _, err := b.kv.Get(ctx, "k"); return err }},
		{"key-value set (bbolt, fsync)", "set", "`KVStore.Set`", cfg.n / 10, cfg.runs * 4, func() error { // more pairs: fsync varies more than the ABI costs
			_, err := b.kv.Set(ctx, "k", []byte("value-0123456789"), time.Time{})
			return err
		}},
		// A request reads a variable from the store once, then from its
		// own copy: one read per instance, many instances.
		{"variable get (a request's first read)", "var", "the stored value's `KVStore.Get`", 1, cfg.runs * 50, func() error { _, err := b.vars.Get(ctx, "hostbench/greeting"); return err }},
		{"variable get (later reads in the request)", "var", "none: the request's copy", cfg.n, cfg.runs, func() error { return nil }},
		{"outbound GET to loopback", "send", "`egress.Client.Do`, the same checks, from Go", cfg.n / 10, cfg.runs, func() error {
			// Under a deadline, as every invocation runs.
			ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, "GET", b.url, nil)
			resp, err := client.Do(ctx, policy, egress.NewBudget(1<<20, 1<<40), req)
			if err != nil {
				return err
			}
			io.Copy(io.Discard, resp.Body)
			return resp.Body.Close()
		}},
	}
	var out strings.Builder
	fmt.Fprintf(&out, "Measured by `go run ./bench/hostcalls` on %s, %s, %d CPUs. Each figure is the median of paired runs (the guest's calls, then the same calls from Go, then the next pair), so the machine's drift cancels out of the overhead.\n\n", testbed.Machine(), runtime.Version(), runtime.NumCPU())
	fmt.Fprintf(&out, "| host call | through the guest ABI | the same done directly in Go | overhead per call |\n|---|---:|---:|---:|\n")
	for _, o := range ops {
		abi, direct, overhead, err := b.paired(ctx, o.op, o.n, o.runs, o.direct)
		if err != nil {
			return "", fmt.Errorf("%s: %w", o.name, err)
		}
		fmt.Fprintf(&out, "| %s | %s | %s (%s) | %s |\n", o.name, us(abi), us(direct), o.backend, us(overhead))
	}
	rps, err := b.exampleLoad(ctx, root, cfg.duration)
	if err != nil {
		return "", fmt.Errorf("example app: %w", err)
	}
	fmt.Fprintf(&out, "\n%s\n", rps)
	return out.String(), nil
}

func us(d time.Duration) string { return fmt.Sprintf("%.2f µs", float64(d)/float64(time.Microsecond)) }

// deploy deploys hostbench.wasm as the app "hostbench".
func (b *bench) deploy(ctx context.Context, root string) error {
	wasm, err := os.ReadFile(filepath.Join(root, "bench", "guests", "hostbench", "hostbench.wasm"))
	if err != nil {
		return err
	}
	info, err := b.node.PutBlob(ctx, bytes.NewReader(wasm))
	if err != nil {
		return err
	}
	route, _ := wisp.ParseRoute("/hostbench")
	_, err = b.node.Deploy(ctx, wisp.AppSpec{
		Name: "hostbench", Module: info.Digest, Routes: []wisp.Route{route},
		KeyValueStores: []string{"default"}, AllowedOutboundHosts: []string{"http://127.0.0.1:*"},
		Variables: map[string]wisp.Variable{"greeting": {}},
		Limits:    wisp.Limits{KVOps: 1_000_000, OutboundRequests: 10_000, OutboundBytes: 1 << 30},
	})
	return err
}

// invoke runs the guest once with op repeated n times.
func (b *bench) invoke(ctx context.Context, op string, n int) (time.Duration, error) {
	var out bytes.Buffer
	start := time.Now()
	err := b.node.InvokeApp(ctx, "hostbench", wisp.Input{Args: []string{"hostbench"}, Env: []string{"OP=" + op, fmt.Sprintf("N=%d", n), "URL=" + b.url}, Stdout: &out})
	d := time.Since(start)
	if err == nil && !strings.Contains(out.String(), "ok 0") {
		err = fmt.Errorf("guest answered %q", out.String())
	}
	return d, err
}

// paired measures op through the guest (the time of a run with n calls
// less that of a run with none, per call) and direct (n calls from Go, per
// call) one after the other, runs times, and returns the medians of each
// and of their differences.
func (b *bench) paired(ctx context.Context, op string, n, runs int, direct func() error) (abi, dir, overhead time.Duration, err error) {
	var abis, dirs, diffs []time.Duration
	for range runs {
		base, err := b.invoke(ctx, op, 0)
		if err != nil {
			return 0, 0, 0, err
		}
		full, err := b.invoke(ctx, op, n)
		if err != nil {
			return 0, 0, 0, err
		}
		a := (full - base) / time.Duration(n)
		start := time.Now()
		for range n {
			if err := direct(); err != nil {
				return 0, 0, 0, fmt.Errorf("directly: %w", err)
			}
		}
		d := time.Since(start) / time.Duration(n)
		abis, dirs, diffs = append(abis, a), append(dirs, d), append(diffs, a-d)
	}
	return median(abis), median(dirs), median(diffs), nil
}

func median(ds []time.Duration) time.Duration {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2]
}

// exampleLoad deploys examples/links-go and loads its redirect (a KV read
// and an increment per request) through the gateway for d, from
// 2*GOMAXPROCS clients.
func (b *bench) exampleLoad(ctx context.Context, root string, d time.Duration) (string, error) {
	m, err := manifest.Load(filepath.Join(root, "examples", "links-go"))
	if err != nil {
		return "", err
	}
	f, err := m.OpenModule()
	if err != nil {
		return "", err
	}
	info, err := b.node.PutBlob(ctx, f)
	f.Close()
	if err != nil {
		return "", err
	}
	spec := wisp.AppSpec{Name: m.Name, Module: info.Digest, Routes: m.Routes, Env: m.Env, Limits: m.Limits,
		KeyValueStores: m.KeyValueStores, AllowedOutboundHosts: m.AllowedOutboundHosts, Variables: m.Variables}
	if _, err := b.node.Deploy(ctx, spec); err != nil {
		return "", err
	}
	if err := b.node.SetVariable(ctx, m.Name, "admin_token", "bench-token", true); err != nil {
		return "", err
	}
	srv := httptest.NewServer(gateway.New(b.node, nil))
	defer srv.Close()
	base := srv.URL + "/links-go"
	req, _ := http.NewRequest("PUT", base+"/bench", strings.NewReader("http://example.com/"))
	req.Header.Set("Authorization", "Bearer bench-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		return "", fmt.Errorf("PUT /links-go/bench: %s", resp.Status)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	clients := 2 * runtime.GOMAXPROCS(0)
	var done, failed atomic.Int64
	var lat []time.Duration
	var mu sync.Mutex
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for time.Now().Before(deadline) {
				start := time.Now()
				resp, err := client.Get(base + "/bench")
				if err != nil || resp.StatusCode != 302 {
					failed.Add(1)
					if resp != nil {
						resp.Body.Close()
					}
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mine = append(mine, time.Since(start))
				done.Add(1)
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if failed.Load() > 0 {
		return "", fmt.Errorf("%d requests failed", failed.Load())
	}
	return fmt.Sprintf("The Go example app (examples/links-go, a reactor), `GET /links-go/bench` (a key-value read and an atomic increment on bbolt, answered with a redirect), through the gateway in process from %d clients for %s: **%.0f req/s**, p50 %s, p99 %s.",
		clients, d, float64(done.Load())/d.Seconds(), testbed.Percentile(lat, 0.5).Round(time.Microsecond), testbed.Percentile(lat, 0.99).Round(time.Microsecond)), nil
}
