// Command memflood measures what the memory attacks of tests/hostile
// (internal/attack) cost a node with a small memory budget, inside a
// memory cgroup like a container's: its peak resident memory, a healthy
// app's latency before and during each flood, and how fast the excess was
// refused.
//
// It builds the real `wisp` binary (or uses -bin), makes a memory cgroup
// of -cgroup bytes when it can (root; otherwise the node runs without
// one, and the report says so), starts the node there with
// `--memory-budget -budget`, deploys four apps with the CLI and runs the
// floods one after the other, each for -duration:
//
//   - bodies: clients POST chunked bodies of 4 MiB to an app that reads
//     its stdin, holding back the last chunk;
//   - responses: clients GET 1 MiB-per-write responses (max_response
//     1 GiB) and read nothing;
//   - over budget: clients request an app whose every instance fills its
//     64 MiB of memory, far more of them than the budget holds.
//
// It prints a markdown table and, with -write, replaces the "memflood"
// section of docs/security.md with it.
//
// Usage, from anywhere in the repository:
//
//	go run ./bench/memflood [-bin PATH] [-budget 256MiB] [-cgroup 512MiB] [-duration 8s] [-clients 200] [-only bodies,responses,over] [-write]
//
// It exits 1 if the node died, the healthy app failed a request, or the
// node's memory went past its cgroup.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/bench/internal/report"
	"github.com/wisphq/wisp/internal/testnode"
)

// config is one run's parameters.
type config struct {
	bin      string
	budget   wisp.ByteSize
	cgroup   wisp.ByteSize
	duration time.Duration
	clients  int
	only     string // run only the floods whose names start with one of these words
	write    bool
}

func main() {
	cfg := config{budget: 256 << 20, cgroup: 512 << 20}
	flag.StringVar(&cfg.bin, "bin", "", "wisp binary to run (default: build ./cmd/wisp into a temp dir)")
	flag.TextVar(&cfg.budget, "budget", cfg.budget, "the node's --memory-budget")
	flag.TextVar(&cfg.cgroup, "cgroup", cfg.cgroup, "memory limit of the cgroup the node runs in (0: none)")
	flag.DurationVar(&cfg.duration, "duration", 8*time.Second, "how long each flood lasts")
	flag.IntVar(&cfg.clients, "clients", 200, "attacking connections per flood")
	flag.StringVar(&cfg.only, "only", "", "comma-separated floods to run (bodies, responses, over); default all")
	flag.BoolVar(&cfg.write, "write", false, "replace the memflood section of docs/security.md with the report")
	flag.Parse()
	if flag.NArg() > 0 || cfg.budget <= 0 || cfg.clients < 1 || cfg.duration <= 0 {
		fmt.Fprintln(os.Stderr, "memflood: unexpected arguments, or a budget, client count or duration below 1; see go run ./bench/memflood -h")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, cfg, os.Stdout, os.Stderr))
}

func run(ctx context.Context, cfg config, stdout, stderr io.Writer) int {
	res, err := measure(ctx, cfg, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "memflood:", err)
		return 1
	}
	text := res.markdown()
	fmt.Fprint(stdout, text)
	if cfg.write {
		root, err := testnode.Root()
		if err == nil {
			err = report.ReplaceSection(filepath.Join(root, "docs", "security.md"), "memflood", text)
		}
		if err != nil {
			fmt.Fprintln(stderr, "memflood:", err)
			return 1
		}
	}
	if problems := res.problems(); len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(stderr, "memflood: FAIL:", p)
		}
		return 1
	}
	return 0
}

// apps are what the node serves during the run, deployed with the CLI.
var apps = [][]string{
	{"deploy", "testdata/wasm/version1.wasm", "--name", "healthy", "--route", "/healthy", "--memory", "1MiB"},
	{"deploy", "testdata/wasm/printenv.wasm", "--name", "body", "--route", "/body", "--max-body", "64MiB", "--memory", "4MiB", "--timeout", "5s"},
	{"deploy", "testdata/wasm/stream.wasm", "--name", "stream", "--route", "/stream", "--max-response", "1GiB", "--memory", "1MiB", "--timeout", "5s"},
	{"deploy", "testdata/wasm/hog.wasm", "--name", "hog", "--route", "/hog", "--memory", "64MiB"},
}

// measure starts the node and runs the baseline and the floods.
func measure(ctx context.Context, cfg config, progress io.Writer) (*result, error) {
	root, err := testnode.Root()
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "wisp-memflood-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	bin, err := testnode.BinaryOrBuild(ctx, cfg.bin, root, tmp, progress)
	if err != nil {
		return nil, err
	}
	res := &result{cfg: cfg, when: time.Now().UTC()}
	var cg *testnode.Cgroup
	if cfg.cgroup > 0 {
		cg, err = testnode.NewCgroup(fmt.Sprintf("wisp-memflood-%d", os.Getpid()), int64(cfg.cgroup))
		if err != nil {
			res.cgroupNote = err.Error()
			fmt.Fprintln(progress, "memflood: running without a cgroup:", err)
		} else {
			defer cg.Close()
		}
	}
	n, err := testnode.StartContext(ctx, testnode.Options{
		Bin: bin, Data: filepath.Join(tmp, "data"), Dir: root, Cgroup: cg,
		Args:         []string{"--memory-budget", cfg.budget.String(), "--log-level", "warn"},
		StartTimeout: time.Minute,
		OutputLimit:  64 << 10,
	})
	if err != nil {
		return nil, err
	}
	defer n.Kill()
	cli := n.CLI()
	if res.version, err = cli.Output(ctx, "version"); err != nil {
		return nil, err
	}
	for _, args := range apps {
		if _, err := cli.Output(ctx, args...); err != nil {
			return nil, err
		}
	}
	if err := runFloods(ctx, cfg, n, res, progress); err != nil {
		return nil, err
	}
	if cg != nil {
		res.cgroupPeak, res.oomKills = cg.Peak(), cg.OOMKills()
	}
	res.nodeExit = n.Exited()
	res.nodeStderr = n.Stderr.String()
	return res, ctx.Err()
}
