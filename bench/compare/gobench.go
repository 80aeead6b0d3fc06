package main

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
)

// benchLine is one result of `go test -bench`.
type benchLine struct {
	Pkg    string  // the import path
	Name   string  // without "Benchmark" and the -GOMAXPROCS suffix: "Run/hello-wat"
	NsOp   float64 // ns/op
	BOp    int64   // B/op, -1 if not reported
	Allocs int64   // allocs/op, -1 if not reported
}

// runGoBench runs the benchmarks of pkgs in root and returns the results.
func runGoBench(ctx context.Context, root string, pkgs []string, benchTime string) ([]benchLine, error) {
	args := append([]string{"test", "-run=^$", "-bench=.", "-benchmem", "-benchtime=" + benchTime}, pkgs...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	killGroupOnCancel(cmd)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	lines := parseGoBench(string(out))
	if len(lines) == 0 {
		return nil, fmt.Errorf("go %s printed no benchmark results\n%s", strings.Join(args, " "), out)
	}
	return lines, nil
}

var benchResult = regexp.MustCompile(`^Benchmark(\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op(?:\s+(\d+) B/op)?(?:\s+(\d+) allocs/op)?`)

// parseGoBench reads the output of `go test -bench -benchmem`: the "pkg:"
// lines say which package the result lines below them belong to.
func parseGoBench(out string) []benchLine {
	var lines []benchLine
	pkg := ""
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimSpace(p)
			continue
		}
		m := benchResult.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		b := benchLine{Pkg: pkg, Name: m[1], BOp: -1, Allocs: -1}
		b.NsOp, _ = strconv.ParseFloat(m[2], 64)
		if m[3] != "" {
			b.BOp, _ = strconv.ParseInt(m[3], 10, 64)
		}
		if m[4] != "" {
			b.Allocs, _ = strconv.ParseInt(m[4], 10, 64)
		}
		lines = append(lines, b)
	}
	return lines
}
