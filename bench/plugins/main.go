// Command plugins compares calling one tiny plugin (tiny.wat: Extism's ABI,
// no WASI) through Wisp's plugin package, through the Extism Go SDK and
// through bare wazero with a minimal host, each with a fresh instance per
// call and with one instance reused: calls per second on one goroutine,
// p50 and p99 latency, and the process's resident memory after each run.
//
// It is its own Go module (bench/plugins/go.mod) so that the Extism Go SDK
// is a dependency of this benchmark only, never of the wisp binary.
//
// Usage: go run . [-n CALLS] [-input TEXT] [-out FILE]
// The lead runs it on a quiet machine for docs/benchmarks.md; it prints a
// Markdown table.
package main

import (
	"context"
	_ "embed"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	extism "github.com/extism/go-sdk"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/wisphq/wisp/plugin"
)

//go:embed tiny.wasm
var tiny []byte

// caller makes one call and returns its output.
type caller func(ctx context.Context, input []byte) ([]byte, error)

type target struct {
	name  string
	setup func(ctx context.Context) (caller, func(), error)
}

func main() {
	n := flag.Int("n", 20000, "calls per target")
	input := flag.String("input", `{"event":"payment","amount":120,"currency":"EUR","note":"ok!"}`, "each call's input")
	out := flag.String("out", "", "also write the table to this file")
	flag.Parse()
	ctx := context.Background()
	var b strings.Builder
	fmt.Fprintf(&b, "| mode | calls/s (1 goroutine) | p50 | p99 | RSS after |\n|---|---|---|---|---|\n")
	for _, t := range targets() {
		call, done, err := t.setup(ctx)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", t.name, err)
			os.Exit(1)
		}
		res, err := measure(ctx, call, []byte(*input), *n)
		done()
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", t.name, err)
			os.Exit(1)
		}
		runtime.GC()
		fmt.Fprintf(&b, "| %s | %.0f | %s | %s | %s |\n", t.name, res.perSec, us(res.p50), us(res.p99), rss())
	}
	fmt.Print(b.String())
	if *out != "" {
		if err := os.WriteFile(*out, []byte(b.String()), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}

type result struct {
	perSec   float64
	p50, p99 time.Duration
}

func measure(ctx context.Context, call caller, input []byte, n int) (result, error) {
	want, err := call(ctx, input) // warm up, and the answer every call must give
	if err != nil {
		return result{}, err
	}
	if string(want) != "y" && string(want) != "n" {
		return result{}, fmt.Errorf("unexpected output %q", want)
	}
	lat := make([]time.Duration, n)
	start := time.Now()
	for i := range lat {
		t := time.Now()
		got, err := call(ctx, input)
		lat[i] = time.Since(t)
		if err != nil {
			return result{}, err
		}
		if string(got) != string(want) {
			return result{}, fmt.Errorf("call %d: output %q, want %q", i, got, want)
		}
	}
	total := time.Since(start)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return result{perSec: float64(n) / total.Seconds(), p50: lat[n/2], p99: lat[n*99/100]}, nil
}

func targets() []target {
	return []target{
		{"Wisp plugin API, fresh instance per call", func(ctx context.Context) (caller, func(), error) {
			p, err := plugin.Load(ctx, tiny, plugin.Config{})
			if err != nil {
				return nil, nil, err
			}
			return func(ctx context.Context, in []byte) ([]byte, error) { return p.Call(ctx, "evaluate", in) },
				func() { p.Close(ctx) }, nil
		}},
		{"Wisp plugin API, one instance reused", func(ctx context.Context) (caller, func(), error) {
			p, err := plugin.Load(ctx, tiny, plugin.Config{})
			if err != nil {
				return nil, nil, err
			}
			inst, err := p.NewInstance(ctx)
			if err != nil {
				return nil, nil, err
			}
			return func(ctx context.Context, in []byte) ([]byte, error) { return inst.Call(ctx, "evaluate", in) },
				func() { inst.Close(ctx); p.Close(ctx) }, nil
		}},
		{"Extism Go SDK, fresh instance per call", func(ctx context.Context) (caller, func(), error) {
			c, err := extismCompiled(ctx)
			if err != nil {
				return nil, nil, err
			}
			return func(ctx context.Context, in []byte) ([]byte, error) {
				inst, err := c.Instance(ctx, extism.PluginInstanceConfig{})
				if err != nil {
					return nil, err
				}
				defer inst.Close(ctx)
				_, out, err := inst.CallWithContext(ctx, "evaluate", in)
				return out, err
			}, func() { c.Close(ctx) }, nil
		}},
		{"Extism Go SDK, one instance reused", func(ctx context.Context) (caller, func(), error) {
			c, err := extismCompiled(ctx)
			if err != nil {
				return nil, nil, err
			}
			inst, err := c.Instance(ctx, extism.PluginInstanceConfig{})
			if err != nil {
				return nil, nil, err
			}
			return func(ctx context.Context, in []byte) ([]byte, error) {
				_, out, err := inst.CallWithContext(ctx, "evaluate", in)
				return append([]byte(nil), out...), err
			}, func() { inst.Close(ctx); c.Close(ctx) }, nil
		}},
		{"bare wazero + minimal host, fresh instance per call", func(ctx context.Context) (caller, func(), error) {
			return bareWazero(ctx, false)
		}},
		{"bare wazero + minimal host, one instance reused", func(ctx context.Context) (caller, func(), error) {
			return bareWazero(ctx, true)
		}},
	}
}

func extismCompiled(ctx context.Context) (*extism.CompiledPlugin, error) {
	m := extism.Manifest{Wasm: []extism.Wasm{extism.WasmData{Data: tiny}}}
	return extism.NewCompiledPlugin(ctx, m, extism.PluginConfig{}, nil)
}

// bareState is the minimal host's per-call state: the input, a byte arena
// for alloc, the output.
type bareState struct {
	input, arena, output []byte
}

type bareKey struct{}

// bareWazero runs tiny.wasm on wazero with only the five host functions it
// imports, written as simply as possible: the floor any host on wazero
// starts from.
func bareWazero(ctx context.Context, reuse bool) (caller, func(), error) {
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCloseOnContextDone(true))
	st := func(ctx context.Context) *bareState { return ctx.Value(bareKey{}).(*bareState) }
	i32, i64 := api.ValueTypeI32, api.ValueTypeI64
	b := rt.NewHostModuleBuilder("extism:host/env")
	fn := func(name string, params, results []api.ValueType, f api.GoModuleFunc) {
		b.NewFunctionBuilder().WithGoModuleFunction(f, params, results).Export(name)
	}
	fn("input_length", nil, []api.ValueType{i64}, func(ctx context.Context, _ api.Module, s []uint64) { s[0] = uint64(len(st(ctx).input)) })
	fn("input_load_u8", []api.ValueType{i64}, []api.ValueType{i32}, func(ctx context.Context, _ api.Module, s []uint64) { s[0] = uint64(st(ctx).input[s[0]]) })
	fn("alloc", []api.ValueType{i64}, []api.ValueType{i64}, func(ctx context.Context, _ api.Module, s []uint64) {
		x := st(ctx)
		off := len(x.arena) + 8
		x.arena = append(x.arena, make([]byte, s[0]+8)...)
		s[0] = uint64(off)
	})
	fn("store_u8", []api.ValueType{i64, i32}, nil, func(ctx context.Context, _ api.Module, s []uint64) { st(ctx).arena[s[0]-8] = byte(s[1]) })
	fn("output_set", []api.ValueType{i64, i64}, nil, func(ctx context.Context, _ api.Module, s []uint64) {
		x := st(ctx)
		x.output = append([]byte(nil), x.arena[s[0]-8:s[0]-8+s[1]]...)
	})
	if _, err := b.Instantiate(ctx); err != nil {
		return nil, nil, err
	}
	compiled, err := rt.CompileModule(ctx, tiny)
	if err != nil {
		return nil, nil, err
	}
	cfg := wazero.NewModuleConfig().WithName("").WithStartFunctions()
	done := func() { rt.Close(ctx) }
	if reuse {
		mod, err := rt.InstantiateModule(ctx, compiled, cfg)
		if err != nil {
			return nil, nil, err
		}
		f := mod.ExportedFunction("evaluate")
		return func(ctx context.Context, in []byte) ([]byte, error) {
			x := &bareState{input: in}
			_, err := f.Call(context.WithValue(ctx, bareKey{}, x))
			return x.output, err
		}, done, nil
	}
	return func(ctx context.Context, in []byte) ([]byte, error) {
		mod, err := rt.InstantiateModule(ctx, compiled, cfg)
		if err != nil {
			return nil, err
		}
		defer mod.Close(ctx)
		x := &bareState{input: in}
		_, err = mod.ExportedFunction("evaluate").Call(context.WithValue(ctx, bareKey{}, x))
		return x.output, err
	}, done, nil
}

func us(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e3, 'f', 1, 64) + " us" }

// rss returns the process's resident set size from /proc (Linux), or "n/a".
func rss() string {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return "n/a"
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "n/a"
}
