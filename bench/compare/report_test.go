package main

import (
	"flag"
	"math"
	"testing"
	"time"

	"github.com/wisphq/wisp/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files with the current output")

// fakeResults returns results as a two-round run could produce them:
// every server, the C hello as a command and the Go hello as a reactor.
func fakeResults() *results {
	cfg := config{duration: 10 * time.Second, warmup: 3 * time.Second, conns: []int{1, 16}, rounds: 2,
		goBench: []string{"./internal/engine/"}, benchTime: "1s"}
	res := &results{
		cfg:       cfg,
		when:      time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC),
		wall:      7*time.Minute + 31*time.Second,
		otherLoad: 0.042,
		machine:   "AMD EPYC, 2 cores; 23.5 GiB RAM; Debian GNU/Linux 12 (bookworm), amd64, kernel 6.1",
		versions: []fact{{"Go", "1.26.8"}, {"wazero", "v1.12.0"}, {"Wisp", "dev"}, {"Node.js", "v20.20.2"},
			{"workerd", "2026-11-17"}, {"wrk", "debian/4.1.0-3+b2"}},
		servers: servers(),
		targets: []*target{
			{name: "hello-c", lang: "C", dir: "bench/guests/hello-c", size: 3566, exports: []string{"_start"}},
			{name: "hello-go", lang: "Go", dir: "bench/guests/hello-go", size: 2213777, exports: []string{"_initialize", "wisp_handle"}},
		},
		goBench: []benchLine{{"github.com/wisphq/wisp/internal/engine", "Run/hello-wat", 17759, 15783, 43}},
		notes:   []string{"raw wazero on hello-go: not measured, raw wazero runs command modules only."},
	}
	// run adds one round of a server on a target: rates at 1 and 16
	// connections, with p50 = 1/rate, p99 = 4/rate and CPU = 1/rate per request.
	run := func(server, target string, round int, start time.Duration, rss int64, failed int64, rates ...float64) {
		r := &serverRun{server: server, target: target, round: round, start: start, peakRSS: rss}
		for i, c := range cfg.conns {
			per := time.Duration(float64(time.Second) / rates[i])
			n := int64(rates[i] * 10)
			r.loads = append(r.loads, load{conns: c, cpu: per * time.Duration(n),
				wrk: wrkResult{Requests: n, Elapsed: 10 * time.Second, PerSecond: rates[i], P50: per, P99: 4 * per, Non2xx: failed}})
		}
		res.runs = append(res.runs, r)
	}
	for round := 1; round <= 2; round++ {
		k := float64(round) // the second round is a little faster
		run("native", "", round, 4*time.Millisecond, 13<<20, 0, 20000+k, 40000+k)
		run("wisp", "hello-c", round, 25*time.Millisecond, 20<<20, 0, 8000+k, 18000+k)
		run("rawwazero", "hello-c", round, 12*time.Millisecond, 15<<20, 0, 5000+k, 9000+k)
		run("node", "hello-c", round, 60*time.Millisecond, 50<<20, 0, 2000+k, 3000+k)
		run("workerd", "hello-c", round, 150*time.Millisecond, 120<<20, int64(round-1), 2500+k, 3500+k)
		run("wisp", "hello-go", round, 1200*time.Millisecond, 160<<20, 0, 400+k, 900+k)
	}
	return res
}

func TestMarkdown(t *testing.T) {
	golden.Check(t, "testdata/report.golden.md", fakeResults().markdown(), *update)
}

func TestFiguresAreMedians(t *testing.T) {
	res := fakeResults()
	f := res.figuresOf("wisp", "hello-c", 16)
	if !f.measured || f.perSecond != 18001.5 || f.nativeRate != 40001.5 {
		t.Errorf("figures = %+v, want the medians of the two rounds: 18001.5 req/s, native 40001.5", f)
	}
	if r := f.ratio(); math.Abs(r-18001.5/40001.5) > 1e-12 {
		t.Errorf("ratio = %v", r)
	}
	if f := res.figuresOf("workerd", "hello-c", 1); f.failed != 1 {
		t.Errorf("failed = %d, want the sum over rounds, 1", f.failed)
	}
	if f := res.figuresOf("node", "hello-go", 1); f.measured {
		t.Errorf("figures of a pair never run = %+v, want not measured", f)
	}
	if start, rss, ok := res.startOf("wisp", "hello-go"); !ok || start != 1200*time.Millisecond || rss != 160<<20 {
		t.Errorf("startOf = %v, %d, %v", start, rss, ok)
	}
}

func TestFormats(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{thousands(31780.4), "31,780"},
		{thousands(999.5), "1,000"},
		{thousands(1234567), "1,234,567"},
		{thousands(-1234), "-1,234"},
		{ratio(0.376), "0.38"},
		{ratio(math.NaN()), "–"},
		{ratio(0.0054), "0.005"},
		{latency(85 * time.Microsecond), "85 µs"},
		{latency(1250 * time.Microsecond), "1.25 ms"},
		{latency(125 * time.Millisecond), "125.0 ms"},
		{micros(12345 * time.Nanosecond), "12.3 µs"},
		{micros(450 * time.Microsecond), "450 µs"},
		{micros(9058 * time.Microsecond), "9.06 ms"},
		{millis(29200 * time.Microsecond), "29.2 ms"},
		{millis(1218 * time.Millisecond), "1.22 s"},
		{size(170), "170 B"},
		{size(3566), "3.6 KB"},
		{size(2213777), "2.2 MB"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
