package main

import (
	"github.com/wisphq/wisp/bench/internal/testbed"

	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/wisphq/wisp/bench/internal/report"
	"github.com/wisphq/wisp/internal/testnode"
)

// results is everything one run measured.
type results struct {
	cfg       config
	when      time.Time
	wall      time.Duration // the whole run, builds included
	machine   string
	versions  []fact
	servers   []server  // those run, in report order
	targets   []*target // those run, in report order
	runs      []*serverRun
	goBench   []benchLine
	otherLoad float64  // share of the machine's CPU other processes used while measuring
	notes     []string // what was not measured, and why
	problems  []string // failures: the run exits 1
}

// fact is a named value of the report: a version, a setting.
type fact struct{ name, value string }

// serverRun is one server process serving one target (or its own handler
// for native) in one round.
type serverRun struct {
	server  string
	target  string // "" for native
	round   int
	start   time.Duration // exec to the first 200
	peakRSS int64         // VmHWM when the last load ended, bytes
	loads   []load        // one per concurrency, in cfg.conns order
}

// load is one measured wrk run and the server's CPU time during it.
type load struct {
	conns int
	wrk   wrkResult
	cpu   time.Duration
}

// run measures, writes the report and returns the exit code.
func run(ctx context.Context, cfg config) int {
	begin := time.Now()
	root, err := testnode.Root()
	if err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		return 1
	}
	res, err := measure(ctx, cfg, root, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		return 1
	}
	res.wall = time.Since(begin)
	text := res.markdown()
	fmt.Print(text)
	if cfg.doc != "" {
		doc := cfg.doc
		if !filepath.IsAbs(doc) {
			doc = filepath.Join(root, doc)
		}
		if err := report.ReplaceSection(doc, cfg.section, text); err != nil {
			fmt.Fprintln(os.Stderr, "compare:", err)
			return 1
		}
		fmt.Fprintf(os.Stderr, "compare: wrote section %q of %s in %s\n", cfg.section, doc, res.wall.Round(time.Second))
	}
	if res.otherLoad > 0.1 {
		fmt.Fprintf(os.Stderr, "compare: warning: other processes used %.0f%% of the machine's CPU during the run; the figures are noisy, rerun on a quiet machine\n", 100*res.otherLoad)
	}
	for _, p := range res.problems {
		fmt.Fprintln(os.Stderr, "compare: FAIL:", p)
	}
	if len(res.problems) > 0 {
		return 1
	}
	return 0
}

// measure prepares the programs and runs every server on every target.
// An error means nothing worth reporting was measured; failures of single
// servers are in results.problems.
func measure(ctx context.Context, cfg config, root string, progress io.Writer) (*results, error) {
	tmp, err := os.MkdirTemp("", "wisp-compare-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	h := &harness{cfg: cfg, root: root, tmp: tmp, progress: progress}
	if err := h.findTools(ctx); err != nil {
		return nil, err
	}
	res := &results{cfg: cfg, when: time.Now().UTC(), machine: testbed.Machine()}
	for _, name := range cfg.targets {
		t, err := loadTarget(root, name)
		if err != nil {
			return nil, err
		}
		res.targets = append(res.targets, t)
	}
	for _, s := range servers() {
		for _, name := range cfg.servers {
			if s.name != name {
				continue
			}
			if why := s.missing(h); why != "" {
				res.notes = append(res.notes, fmt.Sprintf("%s not measured: %s.", s.label, why))
				continue
			}
			res.servers = append(res.servers, s)
		}
	}
	res.versions = h.versions(ctx)
	before, err := sampleCPU()
	if err != nil {
		return nil, err
	}

	if len(cfg.goBench) > 0 {
		fmt.Fprintf(progress, "go test -bench %s...\n", strings.Join(cfg.goBench, " "))
		if res.goBench, err = runGoBench(ctx, root, cfg.goBench, cfg.benchTime); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			res.problems = append(res.problems, err.Error())
		}
	}

	for round := 1; round <= cfg.rounds; round++ {
		for _, s := range res.servers {
			if s.native {
				if err := res.measureServer(ctx, h, s, nil, round); err != nil {
					return nil, err
				}
			}
		}
		for _, t := range res.targets {
			for _, s := range res.servers {
				if s.native {
					continue
				}
				if s.commandOnly && !t.command() {
					if round == 1 {
						res.notes = append(res.notes, fmt.Sprintf("%s on %s: not measured; %s runs command modules only and %s exports no `_start` (its functions: `%s`).",
							s.label, t.name, s.label, t.name, strings.Join(t.exports, "`, `")))
					}
					continue
				}
				if err := res.measureServer(ctx, h, s, t, round); err != nil {
					return nil, err
				}
			}
		}
	}
	after, err := sampleCPU()
	if err != nil {
		return nil, err
	}
	res.otherLoad = otherLoad(before, after)
	return res, nil
}

// measureServer runs one server process for t (nil for native), records
// what it measured and returns an error only when the run must stop (ctx
// ended).
func (res *results) measureServer(ctx context.Context, h *harness, s server, t *target, round int) error {
	name := s.label
	if t != nil {
		name += " on " + t.name
	}
	fmt.Fprintf(h.progress, "round %d: %s...\n", round, name)
	r, err := h.serve(ctx, s, t, round)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		res.problems = append(res.problems, fmt.Sprintf("%s (round %d): %v", name, round, err))
		return nil
	}
	for _, l := range r.loads {
		if n := l.wrk.failed(); n > 0 {
			res.problems = append(res.problems, fmt.Sprintf("%s (round %d), %d connections: %d of %d requests failed (%d non-2xx, %d socket errors)",
				name, round, l.conns, n, l.wrk.Requests, l.wrk.Non2xx, l.wrk.SocketErrors))
		}
	}
	res.runs = append(res.runs, r)
	return nil
}

// serve starts s for t, waits for its first answer, loads it at every
// concurrency and stops it.
func (h *harness) serve(ctx context.Context, s server, t *target, round int) (*serverRun, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cmd, err := s.command(h, t, addr)
	if err != nil {
		return nil, err
	}
	path, want, targetName := "/", "Hello", ""
	if t != nil {
		path, targetName = t.path, t.name
		if t.answer != "" {
			want = t.answer
		}
	}
	logFile, err := os.CreateTemp(h.tmp, s.name+"-*.log")
	if err != nil {
		return nil, err
	}
	logFile.Close()
	p, err := startProcess(s.label, cmd, logFile.Name())
	if err != nil {
		return nil, err
	}
	defer p.stop()
	url := "http://" + addr + path
	r := &serverRun{server: s.name, target: targetName, round: round}
	if r.start, err = waitFirstOK(ctx, p, url, want, time.Minute); err != nil {
		return nil, err
	}
	fmt.Fprintf(h.progress, "  first 200 after %s\n", r.start.Round(100*time.Microsecond))
	for _, conns := range h.cfg.conns {
		if h.cfg.warmup > 0 {
			if _, err := runWrk(ctx, h.wrk, url, conns, h.cfg.warmup); err != nil {
				return nil, err
			}
		}
		before, err := cpuTime(p.pid())
		if err != nil {
			return nil, err
		}
		w, err := runWrk(ctx, h.wrk, url, conns, h.cfg.duration)
		if err != nil {
			return nil, err
		}
		after, err := cpuTime(p.pid())
		if err != nil {
			return nil, err
		}
		if exit := p.exited(); exit != nil {
			return nil, fmt.Errorf("%w during the load\nits log ends:\n%s", exit, p.logTail())
		}
		r.loads = append(r.loads, load{conns: conns, wrk: w, cpu: after - before})
		fmt.Fprintf(h.progress, "  %2d connections: %8.0f req/s, p50 %s, p99 %s\n", conns, w.PerSecond, w.P50, w.P99)
	}
	if r.peakRSS, err = peakRSS(p.pid()); err != nil {
		return nil, err
	}
	return r, nil
}

// findTools finds wrk, node and workerd, and builds wisp (unless -wisp
// names one), the native server and the raw wazero server.
func (h *harness) findTools(ctx context.Context) error {
	var err error
	if h.wrk, err = exec.LookPath("wrk"); err != nil {
		return errors.New("wrk is not installed: run scripts/install-bench-tools.sh (or apt-get install wrk)")
	}
	if h.node, err = exec.LookPath("node"); err == nil {
		v := strings.TrimPrefix(output(ctx, h.node, "--version"), "v")
		major, _, _ := strings.Cut(v, ".")
		if h.nodeMajor, err = strconv.Atoi(major); err != nil {
			return fmt.Errorf("node --version says %q; want vMAJOR.MINOR.PATCH", v)
		}
	} else {
		h.node = ""
	}
	h.workerd = findWorkerd(filepath.Join(h.root, h.cfg.tools))

	builds := []struct {
		dst *string
		pkg string
	}{{&h.native, "./bench/compare/native"}, {&h.rawwazero, "./bench/compare/rawwazero"}}
	if h.cfg.wisp != "" {
		if h.wisp, err = filepath.Abs(h.cfg.wisp); err != nil {
			return err
		}
	} else {
		builds = append(builds, struct {
			dst *string
			pkg string
		}{&h.wisp, "./cmd/wisp"})
	}
	for _, b := range builds {
		fmt.Fprintf(h.progress, "go build %s...\n", b.pkg)
		*b.dst = filepath.Join(h.tmp, filepath.Base(b.pkg))
		cmd := exec.CommandContext(ctx, "go", "build", "-o", *b.dst, b.pkg)
		cmd.Dir = h.root
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %w\n%s", b.pkg, err, out)
		}
	}
	return nil
}

// findWorkerd returns the workerd binary installed by npm under tools, or
// from $WORKERD or PATH, or "" if there is none. It prefers the platform
// package's binary, which the workerd package's launcher would exec.
func findWorkerd(tools string) string {
	if w := os.Getenv("WORKERD"); w != "" {
		return w
	}
	arch := map[string]string{"amd64": "64", "arm64": "arm64"}[runtime.GOARCH]
	for _, p := range []string{
		filepath.Join(tools, "node_modules/@cloudflare/workerd-linux-"+arch+"/bin/workerd"),
		filepath.Join(tools, "node_modules/.bin/workerd"),
	} {
		if info, err := os.Stat(p); err == nil && info.Mode().IsRegular() {
			return p
		}
	}
	if p, err := exec.LookPath("workerd"); err == nil {
		return p
	}
	return ""
}

// output runs a command and returns its trimmed first line of output, or
// "unknown" if it fails to run.
func output(ctx context.Context, name string, args ...string) string {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil && len(out) == 0 {
		return "unknown"
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(line)
}
