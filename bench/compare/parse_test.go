package main

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// wrkSixteen is what wrk 4.1.0 printed for a real run.
const wrkSixteen = `Running 1s test @ http://127.0.0.1:18090/
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.05ms    1.78ms  14.74ms   86.99%
    Req/Sec    23.54k     3.09k   28.91k    75.00%
  Latency Distribution
     50%  245.00us
     75%    1.10ms
     90%    3.42ms
     99%    8.23ms
  46943 requests in 1.01s, 5.19MB read
Requests/sec:  46465.89
Transfer/sec:      5.14MB
`

// wrkFailing has both error lines wrk prints when requests fail.
const wrkFailing = `Running 10s test @ http://127.0.0.1:18093/hello-go
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   148.34ms  150.61ms    1.00s   85.71%
    Req/Sec   243.18     65.86   360.00     81.67%
  Latency Distribution
     50%  138.69ms
     75%  232.33ms
     90%  343.15ms
     99%    1.00s
  1455 requests in 1.00m, 164.82KB read
  Socket errors: connect 0, read 3, write 0, timeout 12
  Non-2xx or 3xx responses: 7
Requests/sec:     24.25
Transfer/sec:      2.75KB
`

func TestParseWrk(t *testing.T) {
	for _, tc := range []struct {
		name string
		out  string
		want wrkResult
	}{
		{"a clean run", wrkSixteen, wrkResult{
			Requests: 46943, Elapsed: 1010 * time.Millisecond, PerSecond: 46465.89,
			P50: 245 * time.Microsecond, P99: 8230 * time.Microsecond,
		}},
		{"errors and long durations", wrkFailing, wrkResult{
			Requests: 1455, Elapsed: time.Minute, PerSecond: 24.25,
			P50: 138690 * time.Microsecond, P99: time.Second, Non2xx: 7, SocketErrors: 15,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseWrk(tc.out)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("parseWrk = %+v\nwant %+v", got, tc.want)
			}
			if tc.want.failed() != tc.want.Non2xx+tc.want.SocketErrors {
				t.Errorf("failed() = %d, want non-2xx plus socket errors", tc.want.failed())
			}
		})
	}
}

func TestParseWrkRefusesOtherOutput(t *testing.T) {
	for _, tc := range []struct{ name, out, wantErr string }{
		{"usage text", "Usage: wrk <options> <url>\n", "requests in"},
		{"no rate", "  5 requests in 1.00s, 1KB read\n", "Requests/sec"},
		{"no --latency", strings.Replace(wrkSixteen, "     50%  245.00us\n", "", 1), "--latency"},
		{"unknown unit", strings.Replace(wrkSixteen, "245.00us", "245.00ns", 1), `"245.00ns"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseWrk(tc.out)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("parseWrk = %v, want an error with %q", err, tc.wantErr)
			}
		})
	}
}

func TestParseGoBench(t *testing.T) {
	out := `goos: linux
goarch: amd64
pkg: github.com/wisphq/wisp/internal/engine
cpu: AMD EPYC
BenchmarkRun/hello-wat-2         	   76898	     17759 ns/op	   15783 B/op	      43 allocs/op
BenchmarkRun/json-go-2           	     224	   4791733 ns/op	 1521009 B/op	   46394 allocs/op
PASS
ok  	github.com/wisphq/wisp/internal/engine	13.847s
pkg: github.com/wisphq/wisp/gateway
BenchmarkTiny   	1000000000	         0.2512 ns/op
some log line from a benchmark
PASS
`
	want := []benchLine{
		{"github.com/wisphq/wisp/internal/engine", "Run/hello-wat", 17759, 15783, 43},
		{"github.com/wisphq/wisp/internal/engine", "Run/json-go", 4791733, 1521009, 46394},
		{"github.com/wisphq/wisp/gateway", "Tiny", 0.2512, -1, -1},
	}
	if got := parseGoBench(out); !slices.Equal(got, want) {
		t.Errorf("parseGoBench =\n%+v\nwant\n%+v", got, want)
	}
}

func TestParseStatCPU(t *testing.T) {
	// A command name with spaces and parentheses: fields count from the last ')'.
	stat := "4242 (we ird) (name) S 1 4242 4242 0 -1 4194560 1500 0 0 0 250 37 0 0 20 0 9 0 12345 1000000 2000 18446744073709551615"
	got, err := parseStatCPU(stat)
	if err != nil {
		t.Fatal(err)
	}
	if want := 2870 * time.Millisecond; got != want {
		t.Errorf("parseStatCPU = %v, want %v (287 ticks)", got, want)
	}
	if _, err := parseStatCPU("4242 (x) S 1 2"); err == nil {
		t.Error("parseStatCPU accepted a short line")
	}
	if self, err := cpuTime(os.Getpid()); err != nil || self < 0 {
		t.Errorf("cpuTime(self) = %v, %v; want a time", self, err)
	}
}

func TestParseVmHWM(t *testing.T) {
	status := "Name:\tnative\nVmPeak:\t  1264 kB\nVmHWM:\t   13412 kB\nVmRSS:\t   13000 kB\n"
	got, err := parseVmHWM(strings.NewReader(status))
	if err != nil || got != 13412<<10 {
		t.Errorf("parseVmHWM = %d, %v; want %d", got, err, 13412<<10)
	}
	if _, err := parseVmHWM(strings.NewReader("Name:\tzombie\n")); err == nil {
		t.Error("parseVmHWM accepted a status without VmHWM")
	}
	self, err := peakRSS(os.Getpid())
	if err != nil || self <= 0 {
		t.Errorf("peakRSS(self) = %d, %v; want a positive size", self, err)
	}
}

func TestFuncExports(t *testing.T) {
	// A reactor: exports _initialize, wisp_handle and memory, no _start.
	// (module (memory (export "memory") 1) (func (export "_initialize")) (func (export "wisp_handle")))
	reactor := []byte("\x00asm\x01\x00\x00\x00" +
		"\x01\x04\x01\x60\x00\x00" + // type section: () -> ()
		"\x03\x03\x02\x00\x00" + // function section: two functions
		"\x05\x03\x01\x00\x01" + // memory section: one memory, min 1
		"\x07\x28\x03" + // export section: 3 exports
		"\x06memory\x02\x00" +
		"\x0b_initialize\x00\x00" +
		"\x0bwisp_handle\x00\x01" +
		"\x0a\x07\x02\x02\x00\x0b\x02\x00\x0b") // code section
	hello, err := os.ReadFile(filepath.Join("..", "..", "examples", "hello", "hello.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		wasm    []byte
		want    []string
		wantErr string
	}{
		{"the WAT hello", hello, []string{"_start"}, ""},
		{"a reactor", reactor, []string{"_initialize", "wisp_handle"}, ""},
		{"no export section", []byte("\x00asm\x01\x00\x00\x00"), nil, ""},
		{"text", []byte("(module)"), nil, "not a WebAssembly"},
		{"cut inside a section", hello[:20], nil, "truncated"},
		{"cut inside the exports", reactor[:40], nil, "truncated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := funcExports(tc.wasm)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("funcExports = %v, %v; want an error with %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("funcExports = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// FuzzFuncExports feeds funcExports arbitrary bytes after a valid header:
// it must return, never panic or loop.
func FuzzFuncExports(f *testing.F) {
	f.Add([]byte("\x07\x05\x01\x01a\x00\x00"))
	f.Add([]byte("\x07\xff\xff\xff\xff\x0f"))
	f.Add([]byte("\x00\x80\x80\x80\x80\x80\x01"))
	f.Fuzz(func(t *testing.T, sections []byte) {
		funcExports(append([]byte("\x00asm\x01\x00\x00\x00"), sections...))
	})
}

func TestLoadTargets(t *testing.T) {
	for _, name := range defaultTargets {
		t.Run(name, func(t *testing.T) {
			tg, err := loadTarget(filepath.Join("..", ".."), name)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(tg.path, "/") || tg.size == 0 || len(tg.exports) == 0 {
				t.Errorf("target %+v: want a path, a size and exports", tg)
			}
		})
	}
	if _, err := loadTarget(t.TempDir(), "hello-c"); err == nil || !strings.Contains(err.Error(), "wisp.toml") {
		t.Errorf("loadTarget without a manifest = %v, want an error naming wisp.toml", err)
	}
}

func TestRequestPath(t *testing.T) {
	for route, want := range map[string]string{
		"/hello":            "/hello",
		"/api/...":          "/api/",
		"/...":              "/",
		"example.com/x":     "/x",
		"example.com/a/...": "/a/",
	} {
		if got := requestPath(route); got != want {
			t.Errorf("requestPath(%q) = %q, want %q", route, got, want)
		}
	}
}

func TestParseFlags(t *testing.T) {
	cfg, err := parseFlags([]string{"-quick", "-conns", "16, 1", "-servers", "wisp,native", "-gobench", ""})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.duration != 2*time.Second || cfg.warmup != time.Second || !slices.Equal(cfg.conns, []int{16, 1}) ||
		!slices.Equal(cfg.servers, []string{"native", "wisp"}) || len(cfg.goBench) != 0 || !slices.Equal(cfg.targets, defaultTargets) {
		t.Errorf("parseFlags = %+v", cfg)
	}
	for _, tc := range []struct {
		args    []string
		wantErr string
	}{
		{[]string{"-conns", "1,x"}, `"x" is not a positive number`},
		{[]string{"-conns", ","}, "-conns is empty"},
		{[]string{"-servers", "nginx"}, `unknown server "nginx"; choose among native, wisp`},
		{[]string{"-targets", ""}, "no target chosen"},
		{[]string{"-duration", "1500ms"}, "whole seconds"},
		{[]string{"-rounds", "0"}, "at least 1"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	} {
		if _, err := parseFlags(tc.args); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("parseFlags(%q) = %v, want an error with %q", tc.args, err, tc.wantErr)
		}
	}
}

func TestGoModVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "go.mod")
	os.WriteFile(path, []byte("module x\n\nrequire github.com/a/b v1.2.3\n\nrequire (\n\tgithub.com/tetratelabs/wazero v1.12.0 // indirect\n)\n"), 0o644)
	if got := goModVersion(path, "github.com/tetratelabs/wazero"); got != "v1.12.0" {
		t.Errorf("wazero = %q, want v1.12.0", got)
	}
	if got := goModVersion(path, "github.com/a/b"); got != "v1.2.3" {
		t.Errorf("a/b = %q, want v1.2.3", got)
	}
	if got := goModVersion(path, "github.com/c/d"); got != "unknown" {
		t.Errorf("missing module = %q, want unknown", got)
	}
}

func TestParseProcStat(t *testing.T) {
	stat := "cpu  100 5 50 800 20 3 2 10 0 0\ncpu0 50 2 25 400 10 1 1 5 0 0\nintr 1\n"
	got, err := parseProcStat(stat)
	if err != nil {
		t.Fatal(err)
	}
	// busy: user+nice+system+irq+softirq+steal = 170 ticks; total 990 ticks.
	if want := (cpuSample{busy: 1700 * time.Millisecond, total: 9900 * time.Millisecond}); got != want {
		t.Errorf("parseProcStat = %+v, want %+v", got, want)
	}
	if _, err := parseProcStat("intr 1\n"); err == nil {
		t.Error("parseProcStat accepted a file without the cpu line")
	}
	if _, err := sampleCPU(); err != nil {
		t.Error(err)
	}
}

func TestOtherLoad(t *testing.T) {
	from := cpuSample{busy: 10 * time.Second, total: 100 * time.Second, ours: time.Second}
	for _, tc := range []struct {
		name string
		to   cpuSample
		want float64
	}{
		{"a quarter of the time was others'", cpuSample{busy: 40 * time.Second, total: 120 * time.Second, ours: 26 * time.Second}, 0.25},
		{"all busy time was ours", cpuSample{busy: 20 * time.Second, total: 110 * time.Second, ours: 11 * time.Second}, 0},
		{"rusage ahead of /proc/stat is clamped", cpuSample{busy: 20 * time.Second, total: 110 * time.Second, ours: 12 * time.Second}, 0},
		{"no time passed", from, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := otherLoad(from, tc.to); math.Abs(got-tc.want) > 1e-9 {
				t.Errorf("otherLoad = %v, want %v", got, tc.want)
			}
		})
	}
}
