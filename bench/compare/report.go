package main

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// figures are one server's figures on one target at one concurrency: the
// medians over the rounds.
type figures struct {
	perSecond  float64
	p50, p99   time.Duration
	cpuPerReq  time.Duration
	failed     int64 // summed over the rounds
	requests   int64 // summed over the rounds
	measured   bool
	nativeRate float64 // native's median req/s at the same concurrency; 0 if not run
}

// ratio returns req/s relative to native, or NaN without native.
func (f figures) ratio() float64 {
	if f.nativeRate == 0 {
		return math.NaN()
	}
	return f.perSecond / f.nativeRate
}

// figuresOf returns the median figures of server on target ("" for
// native) with conns connections.
func (res *results) figuresOf(server, target string, conns int) figures {
	var f figures
	var rates, cpus []float64
	var p50s, p99s []time.Duration
	for _, r := range res.runs {
		if r.server != server || r.target != target {
			continue
		}
		for _, l := range r.loads {
			if l.conns != conns {
				continue
			}
			rates = append(rates, l.wrk.PerSecond)
			p50s, p99s = append(p50s, l.wrk.P50), append(p99s, l.wrk.P99)
			if l.wrk.Requests > 0 {
				cpus = append(cpus, float64(l.cpu)/float64(l.wrk.Requests))
			}
			f.failed += l.wrk.failed()
			f.requests += l.wrk.Requests
		}
	}
	if len(rates) == 0 {
		return f
	}
	f.measured = true
	f.perSecond, f.p50, f.p99 = median(rates), median(p50s), median(p99s)
	if len(cpus) > 0 {
		f.cpuPerReq = time.Duration(median(cpus))
	}
	if server != "native" {
		f.nativeRate = res.figuresOf("native", "", conns).perSecond
	} else {
		f.nativeRate = f.perSecond
	}
	return f
}

// startOf returns the medians of exec-to-first-200 and of peak RSS of
// server on target, and whether it was measured.
func (res *results) startOf(server, target string) (time.Duration, int64, bool) {
	var starts []time.Duration
	var rss []int64
	for _, r := range res.runs {
		if r.server == server && r.target == target {
			starts, rss = append(starts, r.start), append(rss, r.peakRSS)
		}
	}
	if len(starts) == 0 {
		return 0, 0, false
	}
	return median(starts), median(rss), true
}

// median returns the median of xs (the mean of the middle two for an even
// count). It sorts xs.
func median[T int64 | float64 | time.Duration](xs []T) T {
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// row is one line of the per-server tables: a server on a target.
type row struct {
	server server
	target string // "" for native
}

// rows returns the table rows in order: native, then every target's servers.
func (res *results) rows() []row {
	var rows []row
	for _, s := range res.servers {
		if s.native {
			rows = append(rows, row{s, ""})
		}
	}
	for _, t := range res.targets {
		for _, s := range res.servers {
			if !s.native {
				rows = append(rows, row{s, t.name})
			}
		}
	}
	return rows
}

// markdown renders the results as the text of the report's section.
func (res *results) markdown() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	cfg := res.cfg
	if cfg.duration < 10*time.Second {
		w("**A short run** (%g s per load): for checking the harness, not for comparison.\n\n", cfg.duration.Seconds())
	}
	rounds := ""
	if cfg.rounds > 1 {
		rounds = fmt.Sprintf(" Every figure is the median of %d rounds; each round starts every server afresh.", cfg.rounds)
	}
	var conns []string
	for _, c := range cfg.conns {
		conns = append(conns, fmt.Sprintf("%d (`-t%d -c%d`)", c, min(c, 2), c))
	}
	w("Measured by `make bench` (`go run ./bench/compare`) on %s; the run took %s.%s\n\n", res.when.Format("2006-01-02"), res.wall.Round(time.Second), rounds)
	w("- Machine: %s.\n", res.machine)
	var vs []string
	for _, v := range res.versions {
		vs = append(vs, v.name+" "+v.value)
	}
	w("- Versions: %s.\n", strings.Join(vs, "; "))
	w("- Other processes used %.0f%% of the machine's CPU while the benchmarks ran (from /proc/stat, less the harness, the servers, wrk and go test); the higher, the noisier the figures.\n", 100*res.otherLoad)
	w("- Load: wrk over loopback for %g s per figure after a %g s warm-up, with %s connections. wrk and the server share the cores.\n",
		cfg.duration.Seconds(), cfg.warmup.Seconds(), strings.Join(conns, " and "))
	w("- Each server is its own process, started afresh for each module:\n")
	for _, s := range res.servers {
		w("  - %s: %s.\n", s.label, s.about)
	}
	w("- Modules, each served at its manifest's first route:\n")
	for _, t := range res.targets {
		kind := "a command module"
		if !t.command() {
			kind = "no `_start` (its functions: `" + strings.Join(t.exports, "`, `") + "`)"
		}
		w("  - %s: %s, %s, `%s`, %s.\n", t.name, t.lang, size(t.size), t.dir, kind)
	}
	w("\n")
	w("CPU / request is the server process's user+system time during the measured run (from /proc/PID/stat, 10 ms ticks) divided by the requests wrk counted. ")
	w("× native is the req/s relative to the native handler at the same concurrency in this run.\n\n")

	for _, c := range cfg.conns {
		res.loadTable(&b, c)
	}

	w("### Start and memory\n\n")
	w("Exec to first 200: from starting the process to its first 200 answer, polled every millisecond; it includes loading and compiling the module (Wisp: from an empty data directory, the deploy included). ")
	w("Peak RSS: the process's VmHWM after all its loads.\n\n")
	w("| module | server | exec to first 200 | peak RSS |\n|---|---|--:|--:|\n")
	for _, r := range res.rows() {
		if start, rss, ok := res.startOf(r.server.name, r.target); ok {
			w("| %s | %s | %s | %.1f MiB |\n", cell(r.target), r.server.label, millis(start), float64(rss)/(1<<20))
		}
	}
	w("\n")

	if len(res.goBench) > 0 {
		w("### In process\n\n")
		w("`go test -run='^$' -bench=. -benchmem -benchtime=%s %s`: the engine's cost per request without HTTP.\n\n", cfg.benchTime, strings.Join(cfg.goBench, " "))
		w("| package | benchmark | ns/op | B/op | allocs/op |\n|---|---|--:|--:|--:|\n")
		for _, l := range res.goBench {
			w("| %s | %s | %s | %s | %s |\n", strings.TrimPrefix(l.Pkg, "github.com/wisphq/wisp/"), l.Name,
				thousands(l.NsOp), orDash(l.BOp), orDash(l.Allocs))
		}
		w("\n")
	}

	res.targetsTable(&b)

	if len(res.notes) > 0 || len(res.problems) > 0 {
		w("### Not measured, failures\n\n")
		for _, n := range res.notes {
			w("- %s\n", n)
		}
		for _, p := range res.problems {
			first, _, _ := strings.Cut(p, "\n")
			w("- FAILED: %s\n", first)
		}
		w("\n")
	}
	return b.String()
}

// loadTable writes the table of every server at conns connections.
func (res *results) loadTable(b *strings.Builder, conns int) {
	rows := res.rows()
	anyFailed := false
	for _, r := range rows {
		anyFailed = anyFailed || res.figuresOf(r.server.name, r.target, conns).failed > 0
	}
	fmt.Fprintf(b, "### %d connection%s\n\n", conns, plural(conns))
	fmt.Fprint(b, "| module | server | req/s | × native | p50 | p99 | CPU / request |")
	if anyFailed {
		fmt.Fprint(b, " failed |")
	}
	fmt.Fprint(b, "\n|---|---|--:|--:|--:|--:|--:|")
	if anyFailed {
		fmt.Fprint(b, "--:|")
	}
	fmt.Fprintln(b)
	for _, r := range rows {
		f := res.figuresOf(r.server.name, r.target, conns)
		if !f.measured {
			continue
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s |", cell(r.target), r.server.label, thousands(f.perSecond),
			ratio(f.ratio()), latency(f.p50), latency(f.p99), micros(f.cpuPerReq))
		if anyFailed {
			fmt.Fprintf(b, " %s of %s |", thousands(float64(f.failed)), thousands(float64(f.requests)))
		}
		fmt.Fprintln(b)
	}
	fmt.Fprintln(b)
}

// targetsTable writes the performance targets of issue 4 that this run
// measures, when it ran Wisp at 16 connections.
func (res *results) targetsTable(b *strings.Builder) {
	const conns = 16
	if !slices.Contains(res.cfg.conns, conns) {
		return
	}
	type goal struct{ what, measured, met string }
	var goals []goal
	yes := func(ok bool) string {
		if ok {
			return "yes"
		}
		return "**no**"
	}
	for _, g := range []struct {
		target string
		min    float64
	}{{"hello-c", 0.5}, {"hello-go", 0.2}, {"hello-go-reactor", 0.2}} {
		if f := res.figuresOf("wisp", g.target, conns); f.measured && f.nativeRate > 0 {
			goals = append(goals, goal{fmt.Sprintf("Wisp serving %s: at least %.1f× native req/s at %d connections", g.target, g.min, conns),
				ratio(f.ratio()) + "×", yes(f.ratio() >= g.min)})
		}
	}
	for _, t := range res.targets {
		wisp := res.figuresOf("wisp", t.name, conns)
		for _, peer := range []struct{ name, label string }{{"node", "Node.js"}, {"workerd", "workerd"}} {
			if f := res.figuresOf(peer.name, t.name, conns); wisp.measured && f.measured && f.perSecond > 0 {
				x := wisp.perSecond / f.perSecond
				goals = append(goals, goal{fmt.Sprintf("Wisp at least 3× %s's req/s on %s at %d connections", peer.label, t.name, conns),
					fmt.Sprintf("%.2f×", x), yes(x >= 3)})
			}
		}
	}
	// Wisp's Go hello is the reactor; the peers can only run the command.
	if wisp := res.figuresOf("wisp", "hello-go-reactor", conns); wisp.measured {
		for _, peer := range []struct{ name, label string }{{"node", "Node.js"}, {"workerd", "workerd"}} {
			if f := res.figuresOf(peer.name, "hello-go", conns); f.measured && f.perSecond > 0 {
				x := wisp.perSecond / f.perSecond
				goals = append(goals, goal{fmt.Sprintf("Wisp serving hello-go-reactor at least 3× %s's req/s on hello-go at %d connections", peer.label, conns),
					fmt.Sprintf("%.2f×", x), yes(x >= 3)})
			}
		}
	}
	if start, _, ok := res.startOf("wisp", "hello-c"); ok {
		goals = append(goals, goal{"hello-c: deploy to first response under 50 ms (measured from starting the node: an upper bound)",
			millis(start), yes(start < 50*time.Millisecond)})
	}
	if len(goals) == 0 {
		return
	}
	fmt.Fprint(b, "### Issue 4's targets measured here\n\n| target | measured | met |\n|---|--:|---|\n")
	for _, g := range goals {
		fmt.Fprintf(b, "| %s | %s | %s |\n", g.what, g.measured, g.met)
	}
	fmt.Fprintln(b)
}

func cell(target string) string {
	if target == "" {
		return "–"
	}
	return target
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// thousands formats x rounded to an integer with thousands separators: "31,780".
func thousands(x float64) string {
	s := strconv.FormatInt(int64(math.Round(x)), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// ratio formats a ratio with two decimals, three below 0.1, or "–" for NaN.
func ratio(x float64) string {
	switch {
	case math.IsNaN(x):
		return "–"
	case x < 0.1:
		return strconv.FormatFloat(x, 'f', 3, 64)
	}
	return strconv.FormatFloat(x, 'f', 2, 64)
}

// latency formats a latency: "85 µs", "1.25 ms", "12.5 ms".
func latency(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

// micros formats a CPU time per request: "12.3 µs", "450 µs", "9.06 ms".
func micros(d time.Duration) string {
	us := float64(d) / float64(time.Microsecond)
	switch {
	case us < 100:
		return fmt.Sprintf("%.1f µs", us)
	case us < 1000:
		return fmt.Sprintf("%.0f µs", us)
	}
	return fmt.Sprintf("%.2f ms", us/1000)
}

// millis formats a start-up time: "12.3 ms", "1.22 s".
func millis(d time.Duration) string {
	if d >= time.Second {
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

// size formats a byte count: "170 B", "3.5 KB", "2.2 MB".
func size(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000*1000:
		return fmt.Sprintf("%.1f KB", float64(n)/1000)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/1000/1000)
}

func orDash(n int64) string {
	if n < 0 {
		return "–"
	}
	return thousands(float64(n))
}
