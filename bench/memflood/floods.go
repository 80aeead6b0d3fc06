package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/bench/internal/testbed"
	"github.com/wisphq/wisp/internal/attack"
	"github.com/wisphq/wisp/internal/testnode"
)

// result is everything one run measured.
type result struct {
	cfg        config
	version    string
	when       time.Time
	cgroupNote string // why the node ran without a cgroup, if it did
	idleRSS    int64
	baseline   healthy
	floods     []flood
	cgroupPeak int64
	oomKills   int
	nodeExit   error
	nodeStderr string
}

// flood is one attack's figures.
type flood struct {
	name    string
	clients int
	attack  *attack.Result
	healthy healthy
	peakRSS int64
}

// healthy is what the healthy app's clients saw.
type healthy struct {
	latencies []time.Duration
	errors    int
	firstErr  string
}

const healthyClients = 4

// runFloods measures the healthy app alone, then during each flood.
func runFloods(ctx context.Context, cfg config, n *testnode.Node, res *result, progress io.Writer) error {
	healthyURL := n.Gateway + "/healthy"
	if warm := measureHealthy(ctx, healthyURL, 2*time.Second); warm.errors > 0 {
		return fmt.Errorf("the healthy app fails before any flood: %s", warm.firstErr)
	}
	u, err := n.Usage()
	if err != nil {
		return err
	}
	res.idleRSS = u.RSS
	fmt.Fprintln(progress, "memflood: no flood...")
	res.baseline = measureHealthy(ctx, healthyURL, cfg.duration)
	for _, f := range []struct {
		name    string
		clients int
		run     func(ctx context.Context, clients int) *attack.Result
	}{
		{"bodies: chunked 4 MiB bodies, last chunk held", cfg.clients, func(ctx context.Context, clients int) *attack.Result {
			return attack.Bodies(ctx, n.Gateway+"/body", clients, 4<<20)
		}},
		{"responses: 1 MiB writes, never read", cfg.clients, func(ctx context.Context, clients int) *attack.Result {
			return attack.Readers(ctx, n.Gateway+"/stream?f", clients)
		}},
		// Keep-alive clients each ask again at once: fewer are a flood.
		{"over budget: 64 MiB instances", cfg.clients / 4, func(ctx context.Context, clients int) *attack.Result {
			return attack.Requests(ctx, n.Gateway+"/hog", clients)
		}},
	} {
		if n.Exited() != nil {
			break
		}
		if !selected(cfg.only, f.name) {
			continue
		}
		fmt.Fprintf(progress, "memflood: %s...\n", f.name)
		fl := flood{name: f.name, clients: f.clients}
		fctx, cancel := context.WithTimeout(ctx, cfg.duration+time.Second)
		peak := attack.Peak(fctx, n.PID(), 20*time.Millisecond)
		var wg sync.WaitGroup
		wg.Go(func() { fl.attack = f.run(fctx, f.clients) })
		time.Sleep(time.Second) // let the flood build up
		fl.healthy = measureHealthy(ctx, healthyURL, cfg.duration-time.Second)
		cancel()
		wg.Wait()
		fl.peakRSS = <-peak
		res.floods = append(res.floods, fl)
		// Let the node drop what the flood left before the next one.
		time.Sleep(2 * time.Second)
	}
	return nil
}

// selected reports whether the flood called name is among only's words.
func selected(only, name string) bool {
	if only == "" {
		return true
	}
	for _, w := range strings.Split(only, ",") {
		if w = strings.TrimSpace(w); w != "" && strings.HasPrefix(name, w) {
			return true
		}
	}
	return false
}

// measureHealthy requests url from healthyClients keep-alive clients, each
// one request at a time, for d.
func measureHealthy(ctx context.Context, url string, d time.Duration) healthy {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: healthyClients}, Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	var (
		mu sync.Mutex
		h  healthy
		wg sync.WaitGroup
	)
	for range healthyClients {
		wg.Go(func() {
			for ctx.Err() == nil {
				t0 := time.Now()
				status, body, err := testbed.Get(context.WithoutCancel(ctx), client, url)
				d := time.Since(t0)
				mu.Lock()
				switch {
				case err != nil || status != 200 || body != "v1\n":
					if h.errors == 0 {
						h.firstErr = fmt.Sprintf("%d %q %v", status, body, err)
					}
					h.errors++
				default:
					h.latencies = append(h.latencies, d)
				}
				mu.Unlock()
				time.Sleep(5 * time.Millisecond) // a steady trickle, not a second flood
			}
		})
	}
	wg.Wait()
	return h
}

// markdown formats the report.
func (r *result) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Measured %s with `go run ./bench/memflood` (%s). The node ran with `--memory-budget %s`",
		r.when.Format("2006-01-02"), strings.TrimSpace(r.version), r.cfg.budget)
	if r.cgroupNote != "" {
		fmt.Fprintf(&b, " and no cgroup (%s)", r.cgroupNote)
	} else {
		fmt.Fprintf(&b, " inside a memory cgroup limited to %s", r.cfg.cgroup)
	}
	fmt.Fprintf(&b, "; idle, it held %s resident. Each flood lasted %s; the healthy app (4 clients, one request each at a time) was measured from its second second.\n\n",
		mib(r.idleRSS), r.cfg.duration)
	b.WriteString("| phase | attackers | what they got | refusals (503) p50 / p99 | healthy p50 / p99 | healthy errors | peak RSS |\n")
	b.WriteString("|---|---|---|---|---|---|---|\n")
	fmt.Fprintf(&b, "| no flood | – | – | – | %s | %d | %s |\n", percentiles(r.baseline.latencies), r.baseline.errors, mib(r.idleRSS))
	for _, f := range r.floods {
		refused := f.attack.Latencies(http.StatusServiceUnavailable)
		ref := "–"
		if len(refused) > 0 {
			ref = percentiles(refused)
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %d | %s |\n", f.name, f.clients, f.attack, ref,
			percentiles(f.healthy.latencies), f.healthy.errors, mib(f.peakRSS))
	}
	b.WriteString("\n")
	if r.cgroupNote == "" {
		fmt.Fprintf(&b, "The cgroup's peak was %s of its %s; the OOM killer killed %d processes.\n", mib(r.cgroupPeak), r.cfg.cgroup, r.oomKills)
	}
	fmt.Fprintf(&b, "Machine: %s.\n", testbed.Machine())
	return b.String()
}

// problems lists what makes the run a failure.
func (r *result) problems() []string {
	var p []string
	if r.nodeExit != nil {
		p = append(p, fmt.Sprintf("the node died: %v", r.nodeExit))
	}
	if r.oomKills > 0 {
		p = append(p, fmt.Sprintf("the OOM killer killed %d processes in the node's cgroup", r.oomKills))
	}
	for _, f := range r.floods {
		if f.healthy.errors > 0 {
			p = append(p, fmt.Sprintf("%s: the healthy app failed %d requests, first: %s", f.name, f.healthy.errors, f.healthy.firstErr))
		}
	}
	return p
}

func percentiles(ds []time.Duration) string {
	if len(ds) == 0 {
		return "none"
	}
	return fmt.Sprintf("%s / %s", ms(testbed.Percentile(ds, 0.5)), ms(testbed.Percentile(ds, 0.99)))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func mib(n int64) string { return wisp.ByteSize(n).Approx() }
