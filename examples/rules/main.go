// Command rules is a rules engine built on Wisp's plugin package: it loads
// rules uploaded by users (WebAssembly modules on Extism's ABI, here one in
// C and one in WebAssembly text, plus two that misbehave), evaluates a
// stream of JSON events through every rule with per-call limits, and shows
// what happens when a rule misbehaves: that call is stopped at its limit,
// the event still gets the other rules' verdicts, and a rule failing
// MaxFailures times in a row is disabled.
//
// Usage, from anywhere in the repository:
//
//	go run ./examples/rules [-rules DIR] [-events FILE]
//
// Rules are DIR/*.wasm (default: the rules folder beside this source
// file), each exporting
// "evaluate": the event's JSON in, "flag: REASON" or "pass" out. They may
// read the configuration "limit" and call the host function
// extism:host/user country_risk (the event in, "high" or "low" out).
// Events are JSON lines from FILE (default: events.jsonl beside this
// source file).
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/wisphq/wisp/plugin"
)

// The limits of every rule call. CPU is what stops a rule that computes
// too long: a budget counted as fuel (docs/cpu.md), so the same rule is
// stopped at the same point on every machine, however busy. Timeout is a
// generous backstop for time spent outside the guest's own work (host
// functions), which fuel does not count.
var limits = plugin.Limits{
	Memory:  2 << 20,               // 2 MiB
	CPU:     20 * time.Millisecond, // per event, per rule
	Timeout: 2 * time.Second,
	Output:  4 << 10,
}

// MaxFailures is how many contained failures in a row disable a rule.
const MaxFailures = 3

func main() {
	here := sourceDir()
	dir := flag.String("rules", filepath.Join(here, "rules"), "the directory of rules (*.wasm)")
	events := flag.String("events", filepath.Join(here, "events.jsonl"), "the events, one JSON object a line (- for stdin)")
	flag.Parse()
	in := io.Reader(os.Stdin)
	if *events != "-" {
		f, err := os.Open(*events)
		if err != nil {
			fmt.Fprintf(os.Stderr, "rules: %v: pass the events with -events FILE (or - for stdin)\n", err)
			os.Exit(1)
		}
		defer f.Close()
		in = f
	}
	if err := run(context.Background(), *dir, in, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "rules:", err)
		os.Exit(1)
	}
}

// sourceDir is the directory of this source file, where the example's
// rules and events are, so `go run ./examples/rules` finds them from any
// working directory. A binary built with -trimpath has no such path: its
// defaults are then relative to the working directory, and -rules and
// -events name them.
func sourceDir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(file) {
		return "."
	}
	return filepath.Dir(file)
}

// rule is one loaded rule and its record.
type rule struct {
	name     string
	p        *plugin.Plugin
	failures int // contained failures in a row
	disabled bool
	counts   map[string]int
}

// countryRisk is the host function rules may call: the engine's own
// knowledge, which rules do not have to carry.
func countryRisk() plugin.HostFunction {
	risky := map[string]bool{"XX": true}
	return plugin.BytesFunction("country_risk", func(_ context.Context, event []byte) ([]byte, error) {
		var e struct{ Country string }
		if err := json.Unmarshal(event, &e); err != nil {
			return nil, fmt.Errorf("country_risk: the event is not JSON: %w", err)
		}
		if risky[e.Country] {
			return []byte("high"), nil
		}
		return []byte("low"), nil
	})
}

// load loads every rule of dir.
func load(ctx context.Context, dir string) ([]*rule, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.wasm"))
	if err != nil || len(paths) == 0 {
		return nil, fmt.Errorf("no rules (*.wasm) in %s: name the directory of rules with -rules DIR", dir)
	}
	sort.Strings(paths)
	var rules []*rule
	for _, path := range paths {
		wasm, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		p, err := plugin.Load(ctx, wasm, plugin.Config{
			Limits:        limits,
			WASI:          true, // rules built with wasi-libc need it
			Config:        map[string]string{"limit": "1000"},
			HostFunctions: []plugin.HostFunction{countryRisk()},
		})
		if err != nil {
			return nil, fmt.Errorf("rule %s: %w", path, err)
		}
		rules = append(rules, &rule{name: strings.TrimSuffix(filepath.Base(path), ".wasm"), p: p, counts: map[string]int{}})
	}
	return rules, nil
}

// run evaluates every event of in through the rules of dir and writes a
// line per event, then a summary.
func run(ctx context.Context, dir string, in io.Reader, out io.Writer) error {
	rules, err := load(ctx, dir)
	if err != nil {
		return err
	}
	defer func() {
		for _, r := range rules {
			r.p.Close(ctx)
		}
	}()
	sc := bufio.NewScanner(in)
	for n := 1; sc.Scan(); n++ {
		event := sc.Bytes()
		if !json.Valid(event) {
			fmt.Fprintf(out, "event %d: skipped, not JSON\n", n)
			continue
		}
		verdicts := evaluate(ctx, rules, event)
		fmt.Fprintf(out, "event %d: %s\n", n, strings.Join(verdicts, "; "))
	}
	if err := sc.Err(); err != nil {
		return err
	}
	fmt.Fprintln(out, "summary:")
	for _, r := range rules {
		keys := make([]string, 0, len(r.counts))
		for k := range r.counts {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s %d", k, r.counts[k]))
		}
		state := "enabled"
		if r.disabled {
			state = "disabled"
		}
		fmt.Fprintf(out, "  %s (%s): %s\n", r.name, state, strings.Join(parts, ", "))
	}
	return nil
}

// evaluate runs the enabled rules on one event, concurrently (a Plugin is
// safe for concurrent use and every call has its own instance), and returns
// their verdicts in rule order.
func evaluate(ctx context.Context, rules []*rule, event []byte) []string {
	verdicts := make([]string, len(rules))
	var wg sync.WaitGroup
	for i, r := range rules {
		if r.disabled {
			verdicts[i] = r.name + " disabled"
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := r.p.Call(ctx, "evaluate", event)
			verdicts[i] = r.name + " " + r.record(out, err)
		}()
	}
	wg.Wait()
	return verdicts
}

// record classifies one call's outcome and keeps the rule's record. Only
// the rule's own goroutine touches r during an event.
func (r *rule) record(out []byte, err error) string {
	var verdict, kind string
	var perr *plugin.Error
	switch {
	case err == nil && strings.HasPrefix(string(out), "flag"):
		verdict, kind = string(out), "flag"
	case err == nil:
		verdict, kind = string(out), "pass"
	case errors.As(err, &perr):
		// The rule said the event is not for it: not a misbehaviour.
		verdict, kind = "error: "+perr.Message, "error"
	case errors.Is(err, plugin.ErrCPULimit):
		verdict, kind = fmt.Sprintf("contained: stopped at the %s CPU limit", limits.CPU), "contained"
	case errors.Is(err, context.DeadlineExceeded):
		verdict, kind = fmt.Sprintf("contained: stopped at the %s time limit", limits.Timeout), "contained"
	case errors.Is(err, plugin.ErrMemoryLimit):
		verdict, kind = fmt.Sprintf("contained: stopped at the %d MiB memory limit", limits.Memory>>20), "contained"
	default:
		verdict, kind = "contained: "+err.Error(), "contained"
	}
	r.counts[kind]++
	if kind != "contained" {
		r.failures = 0
		return verdict
	}
	if r.failures++; r.failures >= MaxFailures {
		r.disabled = true
		verdict += fmt.Sprintf(" (disabled after %d in a row)", MaxFailures)
	}
	return verdict
}
