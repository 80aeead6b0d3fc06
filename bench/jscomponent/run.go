package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/wisphq/wisp/bench/internal/testbed"
)

// run builds what the servers need, measures them and returns the report.
func run(ctx context.Context, root string, cfg config) (string, error) {
	tmp, err := os.MkdirTemp("", "wisp-jscomponent-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	wisp := filepath.Join(tmp, "wisp")
	build := exec.CommandContext(ctx, "go", "build", "-o", wisp, "./cmd/wisp")
	build.Dir = root
	if b, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build wisp: %w\n%s", err, b)
	}
	fmt.Fprintln(os.Stderr, "jscomponent: building hello.js into a component")
	wasm, err := buildComponent(ctx, root, tmp)
	if err != nil {
		return "", err
	}
	var all []served
	for _, s := range serverCommands(root, tmp, wisp, wasm) {
		fmt.Fprintln(os.Stderr, "jscomponent: loading", s.name)
		sv := served{name: s.name, about: s.about}
		addr, err := freeAddr()
		if err == nil {
			var cmd *exec.Cmd
			if cmd, err = s.cmd(addr); err == nil {
				sv.runs, sv.rss, err = serve(ctx, cfg, s.name, cmd, "http://"+addr+"/hello", filepath.Join(tmp, strings.ReplaceAll(s.name, " ", "-")+".log"))
			}
		}
		sv.err = err
		if err != nil {
			fmt.Fprintln(os.Stderr, "jscomponent:", err)
		}
		all = append(all, sv)
	}
	fmt.Fprintln(os.Stderr, "jscomponent: in process")
	apps := []app{
		{"js-component", wasm},
		{"wat-module", filepath.Join(root, "testdata/wasm/counter.wasm")},
		{"wat-component", filepath.Join(root, "testdata/components/counter.wasm")},
		{"c-module", filepath.Join(root, "testdata/wasm/printenv.wasm")},
		{"c-component", filepath.Join(root, "testdata/components/printenv.wasm")},
	}
	in, err := measureInProcess(ctx, tmp, apps, cfg.inProcess)
	if err != nil {
		return "", fmt.Errorf("in process: %w", err)
	}
	return markdown(cfg, all, in), nil
}

// markdown renders the report.
func markdown(cfg config, all []served, in []inProc) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Measured %s on %s, GOMAXPROCS %d; `go run ./bench/jscomponent` (wrk %s per concurrency after %s of warm-up, on loopback).\n\n",
		time.Now().UTC().Format("2006-01-02"), testbed.Machine(), runtime.GOMAXPROCS(0), cfg.duration, cfg.warmup)
	b.WriteString("| server | conns | req/s | p50 | p99 | failed | peak RSS |\n|---|---:|---:|---:|---:|---:|---:|\n")
	for _, s := range all {
		if s.err != nil {
			first, _, _ := strings.Cut(s.err.Error(), "\n")
			fmt.Fprintf(&b, "| %s | | | | | | not measured: %s |\n", s.name, first)
			continue
		}
		for _, r := range s.runs {
			fmt.Fprintf(&b, "| %s | %d | %.0f | %s | %s | %d | %.0f MiB |\n", s.name, r.conns, r.rps, ms(r.p50), ms(r.p99), r.failed, float64(s.rss)/(1<<20))
		}
	}
	b.WriteString("\n")
	for _, s := range all {
		fmt.Fprintf(&b, "- %s: %s.\n", s.name, s.about)
	}
	b.WriteString("\nIn process, through the gateway's handler with an httptest recorder (no network): one request at a time, then 16 goroutines.\n\n")
	b.WriteString("| app | p50 | p99 | req/s at 16 |\n|---|---:|---:|---:|\n")
	byName := map[string]inProc{}
	for _, r := range in {
		byName[r.name] = r
		fmt.Fprintf(&b, "| %s | %s | %s | %.0f |\n", r.name, ms(r.p50), ms(r.p99), r.rps16)
	}
	b.WriteString("\n")
	for _, lang := range []string{"wat", "c"} {
		m, c := byName[lang+"-module"], byName[lang+"-component"]
		if m.p50 > 0 {
			fmt.Fprintf(&b, "- %s hello as a component vs the core module: p50 %.2fx, req/s at 16 %.2fx.\n",
				strings.ToUpper(lang), float64(c.p50)/float64(m.p50), m.rps16/max(c.rps16, 1))
		}
	}
	return b.String()
}

// ms formats a latency in milliseconds.
func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }
