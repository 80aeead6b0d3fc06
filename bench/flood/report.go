package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// problems lists the robust properties the run broke; nil means it held
// them all. They are what the test asserts: no latency figure is judged.
func (r *result) problems() []string {
	var out []string
	for _, p := range []struct {
		name string
		ph   phase
	}{{"with no flood", r.baseline}, {"during the flood", r.during}} {
		if p.ph.Errors > 0 {
			out = append(out, fmt.Sprintf("the healthy app failed %d of %d requests %s; first: %s", p.ph.Errors, r.cfg.requests, p.name, p.ph.FirstErr))
		}
	}
	r.loop.mu.Lock()
	statuses, errs, firstErr := fmt.Sprint(r.loop.Statuses), r.loop.Errors, r.loop.FirstErr
	r.loop.mu.Unlock()
	if other := r.loop.others(http.StatusGatewayTimeout, http.StatusServiceUnavailable); other > 0 {
		out = append(out, fmt.Sprintf("the looping app answered %d requests with a status other than 504 or 503: %s", other, statuses))
	}
	if errs > 0 {
		out = append(out, fmt.Sprintf("%d requests to the looping app got no answer within its limits plus slack; first: %s", errs, firstErr))
	}
	if r.health.Checks == 0 {
		out = append(out, "/healthz was never checked during the flood")
	}
	if r.health.Failures > 0 {
		out = append(out, fmt.Sprintf("/healthz failed %d of %d checks during the flood; first: %s", r.health.Failures, r.health.Checks, r.health.FirstErr))
	}
	if r.nodeExit != nil {
		out = append(out, fmt.Sprintf("the node did not exit cleanly on SIGTERM after the flood: %v\nnode stderr (end):\n%s", r.nodeExit, r.nodeStderr))
	}
	return out
}

// writeReport writes the run's figures as markdown.
func writeReport(w io.Writer, r *result) {
	c := r.cfg
	fmt.Fprintf(w, "Measured with `go run ./bench/flood` on %s, %s.\n", r.when.Format("2006-01-02"), strings.TrimSpace(r.version))
	fmt.Fprintf(w, "Healthy app: `version1.wasm` (default limits), %d requests per phase from %d keep-alive clients.\n", c.requests, c.concurrency)
	fmt.Fprintf(w, "Looping app: `loop.wasm` (timeout %s, max_concurrency %d), flooded by %d keep-alive clients.\n", c.loopTimeout, c.loopConcurrency, c.flood)
	fmt.Fprintln(w, "Client and node share the machine.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| phase | healthy p50 | healthy p99 | healthy max | healthy req/s | healthy errors | loop 504 | loop 503 | loop other / no answer | /healthz failed |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|")
	row := func(name string, p phase, rest ...string) {
		cells := []string{name,
			millis(percentile(p.Latencies, 0.50)), millis(percentile(p.Latencies, 0.99)), millis(percentile(p.Latencies, 1)),
			perSecond(len(p.Latencies)+p.Errors, p.Elapsed), fmt.Sprintf("%d of %d", p.Errors, len(p.Latencies)+p.Errors)}
		fmt.Fprintf(w, "| %s |\n", strings.Join(append(cells, rest...), " | "))
	}
	row("no flood", r.baseline, "–", "–", "–", "–")
	r.loop.mu.Lock()
	s504, s503, answered := r.loop.Statuses[http.StatusGatewayTimeout], r.loop.Statuses[http.StatusServiceUnavailable], 0
	for _, n := range r.loop.Statuses {
		answered += n
	}
	noAnswer, slowest := r.loop.Errors, r.loop.Slowest
	r.loop.mu.Unlock()
	row(fmt.Sprintf("flood (%d clients)", c.flood), r.during, strconv.Itoa(s504), strconv.Itoa(s503),
		fmt.Sprintf("%d / %d", answered-s504-s503, noAnswer), fmt.Sprintf("%d of %d", r.health.Failures, r.health.Checks))
	fmt.Fprintln(w)
	fmt.Fprintf(w, "The looping app answered %d requests in %s (%s/s); the slowest answer took %s "+
		"(a request may wait one timeout for a slot, then run for one).\n",
		answered, r.floodTime.Round(100*time.Millisecond), perSecond(answered, r.floodTime), slowest.Round(time.Millisecond))
	fmt.Fprintf(w, "Machine: %s.\n", machine())
}

// percentile returns the nearest-rank p-th percentile (0 < p <= 1) of ds,
// or 0 if ds is empty. It sorts ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	rank := int(float64(len(ds))*p+0.999999) - 1
	return ds[min(max(rank, 0), len(ds)-1)]
}

// millis formats d in milliseconds with two decimals: "1.25 ms".
func millis(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64) + " ms"
}

// perSecond formats n events in d as a rate, without decimals.
func perSecond(n int, d time.Duration) string {
	if d <= 0 {
		return "–"
	}
	return strconv.FormatFloat(float64(n)/d.Seconds(), 'f', 0, 64)
}

// machine describes the host: OS, architecture, CPUs, memory, Go.
func machine() string {
	facts := []string{runtime.GOOS + "/" + runtime.GOARCH}
	if release, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		facts[0] += " (kernel " + strings.TrimSpace(string(release)) + ")"
	}
	cpus := fmt.Sprintf("%d CPUs", runtime.NumCPU())
	if model := procField("/proc/cpuinfo", "model name"); model != "" {
		cpus += " (" + model + ")"
	}
	facts = append(facts, cpus)
	if mem := procField("/proc/meminfo", "MemTotal"); mem != "" {
		if kib, err := strconv.ParseInt(strings.TrimSuffix(mem, " kB"), 10, 64); err == nil {
			mem = fmt.Sprintf("%.1f GiB", float64(kib)/(1<<20))
		}
		facts = append(facts, mem+" RAM")
	}
	facts = append(facts, runtime.Version()+" for this program")
	return strings.Join(facts, ", ")
}

// procField returns the value of the first "key: value" line of a /proc
// file, or "" if there is none.
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
