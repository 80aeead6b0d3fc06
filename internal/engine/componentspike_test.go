package engine

// A spike for issue 12 (docs/components.md): a component runs as a graph of
// core instances wired to each other, one graph per request, on wazero's
// public API. The fixtures in testdata/componentspike mimic what
// wit-component emits for a preview 1 module wrapped with the adapter: a
// shim holding a funcref table with one stub per indirect import, the app's
// core module (defining the main memory), the adapter (importing that
// memory, a mutable global and lowered WASI 0.2 functions), and a fixup
// module filling the shim's table. Every instance is anonymous; imports are
// renamed at deploy to ("i<k>", export) and resolved per instantiation with
// experimental.WithImportResolver, so no global name is ever registered.

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	cplan "github.com/wisphq/wisp/internal/component/plan"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/sys"
)

// spikeHost is the import module name of the host functions lowered by the
// component (canon lower of imported WASI functions), built once.
const spikeHost = "host"

// spikeStep is one core instantiation of the static plan: which module, and
// where each of its imports comes from (an earlier instance of the graph by
// index, or the host module), written as the import's new name.
type spikeStep struct {
	module  string
	imports map[[2]string][2]string // (module, name) -> ("i<k>" or "host", export)
	memory  bool                    // defines the component's main memory
}

// spikePlan is the wiring plan a decoded component becomes at deploy.
var spikePlan = []spikeStep{
	{module: "shim"},
	{module: "main", memory: true, imports: map[[2]string][2]string{
		{"wasi_snapshot_preview1", "fd_write"}: {"i0", "0"},
	}},
	{module: "adapter", imports: map[[2]string][2]string{
		{"env", "memory"}:                       {"i1", "memory"},
		{"env", "__stack_pointer"}:              {"i1", "__stack_pointer"},
		{"wasi:cli/stdout@0.2.0", "get-stdout"}: {"i0", "1"},
		{"wasi:io/streams@0.2.0", "[method]output-stream.blocking-write-and-flush"}: {"i0", "2"},
	}},
	{module: "fixup", imports: map[[2]string][2]string{
		{"", "$imports"}: {"i0", "$imports"},
		{"", "0"}:        {"i2", "fd_write"},
		{"", "1"}:        {spikeHost, "lower0"},
		{"", "2"}:        {spikeHost, "lower1"},
	}},
}

// monolithPlan is the same program as one core module.
var monolithPlan = []spikeStep{{module: "monolith", memory: true, imports: map[[2]string][2]string{
	{"host", "lower0"}: {spikeHost, "lower0"}, {"host", "lower1"}: {spikeHost, "lower1"},
}}}

// spikeComponent is a deployed component: modules compiled once, the host
// module instantiated once (anonymously) and shared by every graph.
type spikeComponent struct {
	rt       wazero.Runtime
	pool     *memoryPool
	compiled []wazero.CompiledModule
	memStep  int
	host     api.Module
	cfg      wazero.ModuleConfig
}

// spikeGraph is one request's graph and its per-request host state: the
// main memory canon lower reads and writes, the resource table of
// output-stream handles, and what the guest wrote.
type spikeGraph struct {
	inst    []api.Module
	mem     api.Memory
	alloc   *instanceMemory
	streams []bool // handle-1 -> live
	stdout  bytes.Buffer
}

type spikeGraphKey struct{}

func graphOf(ctx context.Context) *spikeGraph { return ctx.Value(spikeGraphKey{}).(*spikeGraph) }

func newSpikeRuntime(tb testing.TB, pages uint32) wazero.Runtime {
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().
		WithCoreFeatures(api.CoreFeaturesV2).WithMemoryLimitPages(pages).WithCloseOnContextDone(true))
	tb.Cleanup(func() { rt.Close(ctx) })
	return rt
}

// spikeHostModule builds the lowered host functions once. They find their
// graph (memory, resource table) in the call's context, never in the
// calling module: the caller is the shim, which has no memory.
func spikeHostModule(ctx context.Context, rt wazero.Runtime) (api.Module, error) {
	getStdout := api.GoModuleFunc(func(ctx context.Context, _ api.Module, stack []uint64) {
		g := graphOf(ctx)
		g.streams = append(g.streams, true)
		stack[0] = uint64(len(g.streams)) // own<output-stream>
	})
	write := api.GoModuleFunc(func(ctx context.Context, _ api.Module, stack []uint64) {
		g := graphOf(ctx)
		h, ptr, n, ret := uint32(stack[0]), uint32(stack[1]), uint32(stack[2]), uint32(stack[3])
		if h == 0 || int(h) > len(g.streams) || !g.streams[h-1] {
			panic(fmt.Errorf("unknown handle %d", h)) // a trap
		}
		b, ok := g.mem.Read(ptr, n) // lift list<u8>
		if !ok {
			panic(errors.New("list out of bounds"))
		}
		g.stdout.Write(b)
		if !g.mem.WriteByte(ret, 0) { // lower result<_, stream-error>: ok
			panic(errors.New("return area out of bounds"))
		}
	})
	i32 := api.ValueTypeI32
	compiled, err := rt.NewHostModuleBuilder(spikeHost).
		NewFunctionBuilder().WithGoModuleFunction(getStdout, nil, []api.ValueType{i32}).Export("lower0").
		NewFunctionBuilder().WithGoModuleFunction(write, []api.ValueType{i32, i32, i32, i32}, nil).Export("lower1").
		Compile(ctx)
	if err != nil {
		return nil, err
	}
	return rt.InstantiateModule(ctx, compiled, wazero.NewModuleConfig().WithName(""))
}

func spikeFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "componentspike", name+".wasm"))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// deploySpike compiles a plan's modules (renamed) and the host module.
func deploySpike(tb testing.TB, rt wazero.Runtime, plan []spikeStep) *spikeComponent {
	tb.Helper()
	ctx := context.Background()
	c := &spikeComponent{rt: rt, pool: &memoryPool{}, memStep: -1,
		// A rand source, as run.go sets: wazero's default seeds math/rand per
		// instance (10 µs, most of a four-instance graph's cost).
		cfg: wazero.NewModuleConfig().WithName("").WithStartFunctions().WithRandSource(rand.Reader)}
	for i, step := range plan {
		wasm, err := cplan.RenameImports(spikeFixture(tb, step.module), func(mod, name string) (string, string, error) {
			to, ok := step.imports[[2]string{mod, name}]
			if !ok {
				return "", "", fmt.Errorf("import %q %q of %s is not wired", mod, name, step.module)
			}
			return to[0], to[1], nil
		})
		if err != nil {
			tb.Fatal(err)
		}
		cm, err := rt.CompileModule(ctx, wasm)
		if err != nil {
			tb.Fatalf("compile %s: %v", step.module, err)
		}
		c.compiled = append(c.compiled, cm)
		if step.memory {
			c.memStep = i
		}
	}
	host, err := spikeHostModule(ctx, rt)
	if err != nil {
		tb.Fatal(err)
	}
	c.host = host
	return c
}

// instantiate builds one request's graph. On error every instance made so
// far is closed.
func (c *spikeComponent) instantiate(ctx context.Context) (*spikeGraph, context.Context, error) {
	g := &spikeGraph{inst: make([]api.Module, 0, len(c.compiled))}
	ctx = context.WithValue(ctx, spikeGraphKey{}, g)
	ictx := experimental.WithImportResolver(ctx, func(name string) api.Module {
		if name == spikeHost {
			return c.host
		}
		if k, err := strconv.Atoi(name[min(1, len(name)):]); err == nil && name[0] == 'i' && k < len(g.inst) {
			return g.inst[k]
		}
		return nil // falls back to the store's names: deploy must make this unreachable
	})
	for i, cm := range c.compiled {
		sctx := ictx
		if i == c.memStep {
			g.alloc = &instanceMemory{pool: c.pool}
			sctx = withMemory(ictx, g.alloc)
		}
		m, err := c.rt.InstantiateModule(sctx, cm, c.cfg)
		if err != nil {
			g.close(ctx)
			return nil, nil, fmt.Errorf("instantiate core instance %d: %w", i, err)
		}
		g.inst = append(g.inst, m)
		if i == c.memStep {
			g.mem = m.Memory()
		}
	}
	return g, ctx, nil
}

// close closes the instances in reverse order, then frees the memory.
func (g *spikeGraph) close(ctx context.Context) {
	for i := len(g.inst) - 1; i >= 0; i-- {
		g.inst[i].Close(ctx)
	}
	if g.alloc != nil {
		g.alloc.Free()
	}
}

// runOnce is one request: instantiate, call the export, close.
func (c *spikeComponent) runOnce(ctx context.Context, entry int) (uint32, string, error) {
	g, gctx, err := c.instantiate(ctx)
	if err != nil {
		return 0, "", err
	}
	defer g.close(ctx)
	res, err := g.inst[entry].ExportedFunction("handle").Call(gctx)
	if err != nil {
		return 0, "", err
	}
	return uint32(res[0]), g.stdout.String(), nil
}

func TestComponentSpikeGraphPerRequest(t *testing.T) {
	const goroutines, iterations = 64, 50
	rt := newSpikeRuntime(t, 16)
	cases := []struct {
		name  string
		plan  []spikeStep
		entry int
	}{
		{"graph of four core instances", spikePlan, 1},
		{"one core module", monolithPlan, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := deploySpike(t, rt, tc.plan)
			var wg sync.WaitGroup
			errs := make(chan error, goroutines)
			for range goroutines {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range iterations {
						old, out, err := c.runOnce(context.Background(), tc.entry)
						if err == nil && (old != 0 || out != "hello from a component graph\n") {
							err = fmt.Errorf("a graph saw another's state: counter %d, stdout %q", old, out)
						}
						if err != nil {
							errs <- err
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
		})
	}
}

// TestComponentSpikeWazeroRules pins what the design relies on, and what it
// must guard against, in wazero's import resolution.
func TestComponentSpikeWazeroRules(t *testing.T) {
	ctx := context.Background()
	rt := newSpikeRuntime(t, 16)
	c := deploySpike(t, rt, spikePlan)

	t.Run("a nil answer falls back to the store's global names", func(t *testing.T) {
		named, err := rt.NewHostModuleBuilder("i9").NewFunctionBuilder().
			WithFunc(func() uint32 { return 7 }).Export("lower0").Instantiate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer named.Close(ctx)
		wasm, err := cplan.RenameImports(spikeFixture(t, "monolith"), func(_, name string) (string, string, error) {
			return "i9", name, nil // i9 is not in any graph: the resolver answers nil
		})
		if err != nil {
			t.Fatal(err)
		}
		cm, err := rt.CompileModule(ctx, wasm)
		if err != nil {
			t.Fatal(err)
		}
		_, err = rt.InstantiateModule(experimental.WithImportResolver(ctx, func(string) api.Module { return nil }), cm, c.cfg)
		// The store's "i9" was found (lower1 is missing there, not the module): a
		// runtime running components must register no named module a plan's names could hit.
		if err == nil || !bytes.Contains([]byte(err.Error()), []byte(`"lower1" is not exported in module "i9"`)) {
			t.Fatalf("got %v, want the store's module i9 to be used", err)
		}
	})
	t.Run("the resolver must answer with wazero's own instances", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Fatal("a wrapped api.Module did not panic: wazero's contract changed")
			}
		}()
		wasm, _ := cplan.RenameImports(spikeFixture(t, "monolith"), func(_, name string) (string, string, error) { return "w", name, nil })
		cm, err := rt.CompileModule(ctx, wasm)
		if err != nil {
			t.Fatal(err)
		}
		type wrapped struct{ api.Module }
		rctx := experimental.WithImportResolver(ctx, func(string) api.Module { return wrapped{c.host} })
		rt.InstantiateModule(rctx, cm, c.cfg)
	})
	t.Run("a timeout stops a loop in an instance the call did not enter by", func(t *testing.T) {
		// wazevo checks the entry instance's closed flag at every loop
		// header, whichever instance the loop is in, and the context's
		// watcher closes the entry instance: the whole graph stops.
		spin := deploySpike(t, rt, []spikeStep{
			{module: "spin"},
			{module: "entry", imports: map[[2]string][2]string{{"spin", "spin"}: {"i0", "spin"}}},
		})
		tctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, _, err := spin.runOnce(tctx, 1)
		if err == nil || time.Since(start) > 5*time.Second {
			t.Fatalf("got %v after %v, want the deadline to stop the graph", err, time.Since(start))
		}
		var exit *sys.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != sys.ExitCodeDeadlineExceeded {
			t.Fatalf("got %v, want wazero's deadline exit", err)
		}
		if !errors.Is(classify(tctx, err), context.DeadlineExceeded) {
			t.Fatalf("classified as %v, want context.DeadlineExceeded", classify(tctx, err))
		}
	})
	t.Run("a failed step leaves nothing registered", func(t *testing.T) {
		broken := *c
		broken.host = nil // lower0/lower1 unresolvable: step 3 fails
		if _, _, err := broken.instantiate(ctx); err == nil {
			t.Fatal("instantiated without the host module")
		}
		if _, _, err := c.runOnce(ctx, 1); err != nil {
			t.Fatalf("the component after a failed graph: %v", err)
		}
	})
}
