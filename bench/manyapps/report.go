package main

import (
	"github.com/wisphq/wisp/bench/internal/testbed"

	"fmt"
	"strings"
	"time"
)

// Targets of the many-apps benchmark.
const (
	targetRSS     = 1 << 30
	targetColdP99 = 5 * time.Millisecond
)

// markdown formats a run's results as the "manyapps" section of
// docs/benchmarks.md.
func markdown(r *result) string {
	var b strings.Builder
	c := r.cfg
	f := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	f("Measured by `go run ./bench/manyapps -apps %d -sample %d -code-cache %s` on %s; %s.\n\n",
		c.apps, c.sample, c.codeCache, r.when.Format("2006-01-02"), r.version)
	f("- Machine: %s.\n", testbed.Machine())
	f("- Apps: %s distinct copies of examples/hello (a %d-byte WAT module), each with its own message, so each has its own compiled code; one route each. Deployed through the admin API (upload, then `PUT /v1/apps/NAME`) by %d concurrent clients; the node serializes deploys.\n",
		count(c.apps), len(helloModule(appBody(0))), c.deployers)
	f("- Node: `wisp serve --code-cache %s`, everything else default, one data directory for the whole run. The default code cache (256 MiB) would hold the code of about 19,000 modules this small, so the run lowers it to have most apps' code on disk, as a node with larger apps would.\n", c.codeCache)
	f("- Requests: one at a time over one keep-alive connection on loopback, from the same machine; latency is the client's, from sending the request to the end of the body. \"Memory\" is the node's VmRSS and VmHWM after %s idle.\n\n", settle)

	f("| | figure | target |\n|---|---|---|\n")
	f("| deploy %s apps | %s (%s apps/s) | |\n", count(c.apps), r.deployTime.Round(100*time.Millisecond), rate(c.apps, r.deployTime))
	f("| memory, all idle | RSS %s (peak %s); %s per app | RSS under 1 GiB: %s |\n",
		mib(r.idle.RSS), mib(r.idle.HWM), kib(r.idle.RSS/int64(c.apps)), verdict(r.idle.RSS < targetRSS))
	f("| compiled code in memory | %s of %s modules, %s (estimated) | |\n",
		count(r.idleStats.CodeResident), count(r.idleStats.CodeModules), mib(int64(r.idleStats.CodeBytes)))
	f("| first request, code on disk (%s apps, %s loaded from disk) | %s | p99 under 5 ms: %s |\n",
		count(len(r.cold)), count(int(r.coldLoads)), latencies(r.cold), verdict(testbed.Percentile(r.cold, 0.99) < targetColdP99))
	f("| second request (warm) | %s | |\n", latencies(r.warm))
	f("| memory after those requests | RSS %s (peak %s) | |\n", mib(r.afterCold.RSS), mib(r.afterCold.HWM))
	f("| restart: process start to ready | %s | |\n", r.restartReady.Round(10*time.Millisecond))
	f("| memory after the restart, idle | RSS %s (peak %s) | |\n", mib(r.restartIdle.RSS), mib(r.restartIdle.HWM))
	f("| restart: first request (%s random apps, %s loaded from disk) | %s | |\n",
		count(len(r.restartFirst)), count(int(r.restartLoads)), latencies(r.restartFirst))
	f("| restart with the default code cache: to ready | %s | |\n", r.fullReady.Round(10*time.Millisecond))
	f("| memory then, all idle, every app's code in memory | RSS %s (peak %s); %s modules, %s (estimated) | |\n",
		mib(r.fullIdle.RSS), mib(r.fullIdle.HWM), count(r.fullStats.CodeResident), mib(int64(r.fullStats.CodeBytes)))
	return b.String()
}

func verdict(met bool) string {
	if met {
		return "met"
	}
	return "**not met**"
}

// latencies formats the p50, p99 and maximum of ds.
func latencies(ds []time.Duration) string {
	return fmt.Sprintf("p50 %s, p99 %s, max %s", millis(testbed.Percentile(ds, 0.50)), millis(testbed.Percentile(ds, 0.99)), millis(testbed.Percentile(ds, 1)))
}

func millis(d time.Duration) string {
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}
func mib(n int64) string { return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20)) }
func kib(n int64) string { return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10)) }

func rate(n int, d time.Duration) string {
	if d <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f", float64(n)/d.Seconds())
}

// count formats n with thousands separators.
func count(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
