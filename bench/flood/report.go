package main

import (
	"github.com/wisphq/wisp/bench/internal/testbed"

	"fmt"
	"io"
	"net/http"
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
			millis(testbed.Percentile(p.Latencies, 0.50)), millis(testbed.Percentile(p.Latencies, 0.99)), millis(testbed.Percentile(p.Latencies, 1)),
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
	fmt.Fprintf(w, "Machine: %s.\n", testbed.Machine())
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
