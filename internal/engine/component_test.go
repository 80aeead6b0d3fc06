package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp/internal/component/binary"
	"github.com/wisphq/wisp/internal/component/canon"
	"github.com/wisphq/wisp/internal/component/plan"
	"github.com/wisphq/wisp/internal/component/wasi"
)

// testComponent is the glue the node will have: a plan, its host functions
// bound to package wasi, compiled by the engine.
type testComponent struct {
	p   *plan.Plan
	c   *Component
	run *plan.Export
}

type stateKey struct{}

func compileComponent(t testing.TB, e *Engine, name string) *testComponent {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "components", name+".wasm"))
	if err != nil {
		t.Fatal(err)
	}
	dc, err := binary.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Build(dc)
	if err != nil {
		t.Fatal(err)
	}
	calls, err := p.HostCalls(wasi.Binder(func(ctx context.Context) *wasi.State {
		s, _ := ctx.Value(stateKey{}).(*wasi.State)
		return s
	}))
	if err != nil {
		t.Fatal(err)
	}
	run, ok := p.Export("wasi:cli/run@0.2.0", "run")
	if !ok {
		t.Fatalf("%s exports no wasi:cli/run", name)
	}
	spec := ComponentSpec{Entry: &ComponentEntry{Step: run.Core.Step, Name: run.Core.Name}}
	for _, s := range p.Steps {
		spec.Steps = append(spec.Steps, s.Wasm)
	}
	for j, h := range p.Host {
		spec.Host = append(spec.Host, ComponentHostFunc{Params: valueTypesOf(h.Core.Params), Results: valueTypesOf(h.Core.Results), Fn: calls[j]})
	}
	c, err := e.CompileComponent(context.Background(), spec, 64<<20)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return &testComponent{p: p, c: c, run: run}
}

func valueTypesOf(ts []canon.CoreType) []ValueType {
	out := make([]ValueType, len(ts))
	for i, t := range ts {
		out[i] = map[canon.CoreType]ValueType{canon.I32: I32, canon.I64: I64, canon.F32Core: F32, canon.F64Core: F64}[t]
	}
	return out
}

// graphView adapts a ComponentInstance to plan.Graph.
type graphView struct{ g *ComponentInstance }

func (v graphView) Memory(step int, name string) (canon.Memory, bool) { return v.g.Memory(step, name) }
func (v graphView) Call(ctx context.Context, step int, name string, params []uint64) ([]uint64, error) {
	return v.g.Call(ctx, step, name, params...)
}
func (v graphView) CallWithStack(ctx context.Context, step int, name string, stack []uint64, nParams int) (int, bool, error) {
	return v.g.CallWithStack(ctx, step, name, stack, nParams)
}

// runCommand runs the component's wasi:cli/run export once.
func (tc *testComponent) runCommand(ctx context.Context, s *wasi.State) error {
	ctx = context.WithValue(ctx, stateKey{}, s)
	r := &plan.Run{Instance: canon.NewInstance(nil)}
	ctx = plan.WithRun(ctx, r)
	g, err := tc.c.Instantiate(ctx)
	if err != nil {
		return err
	}
	defer g.Close(ctx)
	r.Graph = graphView{g}
	res, err := r.CallExport(ctx, tc.run, nil)
	if err != nil {
		return err
	}
	if v, ok := res[0].(canon.VariantValue); !ok || v.Case != 0 {
		return &ExitError{Code: 1}
	}
	return nil
}

// TestComponentDifferential runs each fixture component (a testdata/wasm
// module wrapped by jco new) through the component path and the bare
// module through Prepared.Run: stdout, stderr and the exit must match byte
// for byte.
func TestComponentDifferential(t *testing.T) {
	e := newEngine(t, "")
	env := []string{"A=1", "GREETING=hello world"}
	for _, want := range []struct{ name, exit string }{
		{"printenv", ""}, {"counter", ""}, {"stderr", ""},
		// proc_exit(3) reaches the component as wasi:cli/exit.exit(err): the
		// preview 1 adapter jco ships maps every non-zero code to exit(err),
		// whose code is 1 (exit-with-code is not in its 0.2.x world).
		{"exit3", "module exited with code 1"},
	} {
		name, wantExit := want.name, want.exit
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var bout, berr bytes.Buffer
			m := compile(t, e, name+".wasm", 64<<20)
			bareErr := mustPrepare(t, m, nil, nil).Run(ctx, Call{Args: []string{name}, Env: env, Stdout: &bout, Stderr: &berr})

			// Each run after the first is on the graph the one before
			// left (a memory reserve covers the adapter's growth,
			// component_reserve.go), unless the run exited.
			tc := compileComponent(t, e, name)
			reused := e.Stats().Reused
			for run := range 3 {
				var cout, cerr bytes.Buffer
				compErr := tc.runCommand(ctx, &wasi.State{Env: env, Args: []string{name}, Stdout: &cout, Stderr: &cerr})
				if cout.String() != bout.String() {
					t.Errorf("run %d: stdout differs:\ncomponent %q\nmodule    %q", run, cout.String(), bout.String())
				}
				if cerr.String() != berr.String() {
					t.Errorf("run %d: stderr differs:\ncomponent %q\nmodule    %q", run, cerr.String(), berr.String())
				}
				if wantExit != "" {
					if fmt.Sprint(compErr) != wantExit || bareErr == nil {
						t.Errorf("run %d: exit: component %v (want %s), module %v", run, compErr, wantExit, bareErr)
					}
				} else if fmt.Sprint(compErr) != fmt.Sprint(bareErr) {
					t.Errorf("run %d: exit differs: component %v, module %v", run, compErr, bareErr)
				}
			}
			if tc.c.reserve != 1 {
				t.Errorf("memory reserve of %d pages, want the adapter's state page", tc.c.reserve)
			}
			wantReused := uint64(2)
			if wantExit != "" {
				wantReused = 0 // an exit discards the graph
			}
			if r := tc.c.pool.reused.Load(); r != wantReused || e.Stats().Reused-reused != wantReused {
				t.Errorf("%d of 3 runs on a reused graph (engine counted %d), want %d", r, e.Stats().Reused-reused, wantReused)
			}
		})
	}
}

// TestComponentConcurrentRuns runs one component from many goroutines at
// once: every run has its own graph and its own output.
func TestComponentConcurrentRuns(t *testing.T) {
	e := newEngine(t, "")
	tc := compileComponent(t, e, "printenv")
	errs := make(chan error, 8)
	for i := range 8 {
		go func() {
			for j := range 10 {
				v := fmt.Sprintf("V=%d-%d", i, j)
				var out bytes.Buffer
				if err := tc.runCommand(context.Background(), &wasi.State{Env: []string{v}, Args: []string{"p"}, Stdout: &out}); err != nil {
					errs <- err
					return
				}
				if !bytes.Contains(out.Bytes(), []byte(v+"\n")) || bytes.Count(out.Bytes(), []byte("V=")) != 1 {
					errs <- fmt.Errorf("run %s printed %q", v, out.String())
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// TestComponentGraphRules: an import the plan did not wire never reaches a
// name registered in the runtime (wasi_snapshot_preview1 is one), and a
// host function called outside a run fails instead of panicking the node.
func TestComponentGraphRules(t *testing.T) {
	e := newEngine(t, "")
	ctx := context.Background()
	t.Run("an unknown import module gets an empty instance", func(t *testing.T) {
		// (module (import "wasi_snapshot_preview1" "proc_exit" (func (param i32))))
		wasm := []byte("\x00asm\x01\x00\x00\x00\x01\x05\x01\x60\x01\x7f\x00" +
			"\x02\x24\x01\x16wasi_snapshot_preview1\x09proc_exit\x00\x00")
		c, err := e.CompileComponent(ctx, ComponentSpec{Steps: [][]byte{wasm}}, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		g, err := c.Instantiate(ctx)
		if err == nil {
			g.Close(ctx)
			t.Fatal("instantiated a step whose import names a global module")
		}
	})
	t.Run("a core module over the compile-cost caps is refused before wazero sees it", func(t *testing.T) {
		// (module (func (local i32 x 4294967295))): wazero would allocate
		// for every declared local.
		wasm := []byte("\x00asm\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00" +
			"\x0a\x0a\x01\x08\x01\xff\xff\xff\xff\x0f\x7f\x0b")
		_, err := e.CompileComponent(ctx, ComponentSpec{Steps: [][]byte{wasm}}, 1<<20)
		if !errors.Is(err, ErrInvalidModule) || !strings.Contains(err.Error(), "core module of step 0") {
			t.Fatalf("CompileComponent = %v, want ErrInvalidModule naming the step", err)
		}
	})
	t.Run("a host function outside a run is an error", func(t *testing.T) {
		tc := compileComponent(t, e, "counter")
		g, err := tc.c.Instantiate(ctx) // no plan.WithRun in ctx
		if err != nil {
			t.Fatal(err)
		}
		defer g.Close(ctx)
		if _, err := g.Call(ctx, tc.run.Core.Step, tc.run.Core.Name); err == nil || !errors.As(err, new(*TrapError)) {
			t.Fatalf("err = %v, want a trap", err)
		}
	})
}
