package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp/internal/testnode"
)

// TestCompareEndToEnd runs every installed server on the WAT hello for a
// second each and checks what must hold on any machine: each answered its
// first request and every load request, each figure was measured, and no
// process the harness started is left. It needs wrk; node and workerd are
// run when installed (scripts/install-bench-tools.sh).
func TestCompareEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs real servers; skipped with -short")
	}
	if _, err := exec.LookPath("wrk"); err != nil {
		t.Skip("wrk is not installed (scripts/install-bench-tools.sh installs it)")
	}
	root, err := testnode.Root()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cfg := config{
		duration: time.Second, conns: []int{2}, rounds: 1,
		servers: defaultServers, targets: []string{"hello-wat"}, tools: "bench/.tools",
	}
	res, err := measure(ctx, cfg, root, testWriter{t})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.problems {
		t.Error(p)
	}
	for _, n := range res.notes {
		t.Log("note:", n)
	}
	if want := len(res.servers); len(res.runs) != want {
		t.Errorf("%d server runs, want one per server run (%d)", len(res.runs), want)
	}
	for _, r := range res.runs {
		if r.start <= 0 || r.peakRSS <= 0 || len(r.loads) != 1 || r.loads[0].wrk.Requests == 0 || r.loads[0].wrk.P50 <= 0 {
			t.Errorf("%s on %q: start %v, peak RSS %d, loads %+v: want every figure measured", r.server, r.target, r.start, r.peakRSS, r.loads)
		}
	}
	if children := childProcesses(t); len(children) > 0 {
		t.Errorf("processes the harness started are still running: %v", children)
	}
	md := res.markdown()
	for _, want := range []string{"### 2 connections", "| hello-wat | Wisp |", "| – | native Go |"} {
		if !strings.Contains(md, want) {
			t.Errorf("the report lacks %q:\n%s", want, md)
		}
	}
}

// childProcesses returns the pids and names of this process's children.
func childProcesses(t *testing.T) []string {
	t.Helper()
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		t.Fatal(err)
	}
	self := strconv.Itoa(os.Getpid())
	var out []string
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // it ended meanwhile
		}
		stat := string(b)
		i := strings.LastIndexByte(stat, ')')
		if f := strings.Fields(stat[i+1:]); i > 0 && len(f) > 1 && f[1] == self {
			out = append(out, stat[:i+1])
		}
	}
	return out
}

// testWriter sends progress lines to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
