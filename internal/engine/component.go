package engine

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/sys"

	"github.com/wisphq/wisp/internal/meter"
	"github.com/wisphq/wisp/internal/preinit"
	"github.com/wisphq/wisp/internal/wasmscan"
)

// The core value types a component's host functions use beside I32 and I64.
const (
	F32 ValueType = I64 + 1 + iota
	F64
)

// Import module names of a component graph (they match package plan's):
// step k's instance is componentStep+k, the host functions are
// componentHost's "h<k>".
const (
	componentHost = "wisp:host"
	componentStep = "wisp:i"
)

// ComponentSpec is a component's core instance graph, as a plan describes
// it, in the engine's terms (the engine knows nothing of WIT): core modules
// instantiated in order, whose imports are already renamed to
// ("wisp:i<k>", export of step k < this step) or ("wisp:host", "h<j>",
// Host[j]).
//
// Entry, if not nil, is the function a run calls first: the snapshot
// probes it to size a memory reserve for reused graphs
// (component_reserve.go). Without it a graph whose runs grow the memory is
// not reused.
type ComponentSpec struct {
	Steps [][]byte
	Host  []ComponentHostFunc
	Entry *ComponentEntry
	// Signatures are core functions with the type the canonical ABI
	// requires of them (a realloc, a post-return), checked at compile: a
	// mismatch refuses the component.
	Signatures []ComponentSignature
}

// ComponentSignature is a core function of a graph, Name exported by step
// Step (or, with Step < 0, host function Host), that must have exactly
// the type Params -> Results. What names it in the error.
type ComponentSignature struct {
	Step            int
	Name            string
	Host            int
	Params, Results []ValueType
	What            string
}

// ComponentHostFunc is a host function of a component graph. Fn runs on
// the guest's goroutine with the ctx of the call into the graph (the
// caller puts its per-run state there); stack holds the parameters and
// receives the results. An error ends the call: an error with an
// ExitCode() uint32 method exits the guest with that code, any other
// traps it.
type ComponentHostFunc struct {
	Params, Results []ValueType
	Fn              func(ctx context.Context, stack []uint64) error
}

// Component is a compiled component graph, shared by its runs.
type Component struct {
	e        *Engine
	rt       *runtime
	compiled []wazero.CompiledModule
	memStep  int // the first step defining a memory, or -1
	host     api.Module
	empty    api.Module
	meter    api.Module // the runtime's wisp:meter (meter.go)
	cfg      wazero.ModuleConfig
	limit    uint64 // bytes, per memory
	// A snapshotted graph's main memory starts as image (mapped) or
	// sparse (copied): see component_snapshot.go.
	snapshotted bool
	image       *memoryImage
	sparse      []imageChunk
	// snapshotting is set while CompileComponent runs the graph's start
	// functions for a snapshot: a host function called then fails it.
	snapshotting bool
	// pool holds idle graphs of a snapshotted component that can be
	// reused (component_reuse.go); nil: a fresh graph per run. globals
	// lists each step's mutable globals, exported for resetting.
	pool    *instancePool[*graph]
	globals [][]preinit.Global
	// reserve is the pages of the main memory's reserve
	// (component_reserve.go), 0 for none.
	reserve uint32
}

// CompileComponent compiles every step's module and instantiates the host
// module once (anonymously, shared by every run). memoryLimit bounds each
// memory of the graph.
func (e *Engine) CompileComponent(ctx context.Context, spec ComponentSpec, memoryLimit uint64) (*Component, error) {
	pages := memoryLimit / pageSize
	if pages == 0 || pages > 65536 {
		return nil, fmt.Errorf("memory limit %d bytes is out of range: use 64KiB to 4GiB", memoryLimit)
	}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil, ErrClosed
	}
	rt, err := e.meteredRuntimeFor(ctx, uint32(pages))
	e.mu.Unlock()
	if err != nil {
		return nil, err
	}
	c := &Component{e: e, rt: rt, memStep: -1, limit: memoryLimit, meter: rt.meter,
		// No exported start function (a command's _start is called through
		// wasi:cli/run), and a rand source: wazero's default seeds math/rand
		// per instance.
		cfg: wazero.NewModuleConfig().WithName("").WithStartFunctions().WithRandSource(rand.Reader)}
	ok := false
	defer func() {
		if !ok {
			c.Close(ctx)
		}
	}()
	hb := rt.rt.NewHostModuleBuilder(componentHost)
	for j, h := range spec.Host {
		fn := h.Fn
		hb.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
			if c.snapshotting {
				panic(errSnapshotHostCall)
			}
			hostEnter(ctx, mod) // hostcharge.go
			if err := fn(ctx, stack); err != nil {
				var ex interface{ ExitCode() uint32 }
				if errors.As(err, &ex) {
					panic(sys.NewExitError(ex.ExitCode()))
				}
				panic(err)
			}
		}), coreTypes(h.Params), coreTypes(h.Results)).Export("h" + strconv.Itoa(j))
	}
	hc, err := hb.Compile(ctx)
	if err != nil {
		return nil, fmt.Errorf("component host functions: %w", err)
	}
	if c.host, err = rt.rt.InstantiateModule(ctx, hc, wazero.NewModuleConfig().WithName("")); err != nil {
		return nil, fmt.Errorf("component host functions: %w", err)
	}
	ec, err := rt.rt.CompileModule(ctx, []byte("\x00asm\x01\x00\x00\x00"))
	if err != nil {
		return nil, err
	}
	if c.empty, err = rt.rt.InstantiateModule(ctx, ec, wazero.NewModuleConfig().WithName("")); err != nil {
		return nil, err
	}
	steps := make([][]byte, len(spec.Steps))
	for k, wasm := range spec.Steps {
		// The same pre-scan as a module's (compile.go): a core module
		// inside a component is as untrusted, and wazero trusts what it
		// declares (locals, nesting, table sizes).
		if _, err := wasmscan.Scan(wasm, wasmscan.DefaultLimits); err != nil {
			return nil, invalidf("core module of step %d: %s", k, err)
		}
		// Metered as a module is (meter.go): the graph's instances
		// charge one fuel account per run (StartMeter).
		src, meterErr := meteredForm(wasm)
		if src == nil {
			return nil, fmt.Errorf("core module of step %d: %w", k, meterErr)
		}
		cm, err := compileModule(ctx, rt.rt, src)
		if err != nil {
			return nil, fmt.Errorf("compile core module of step %d: %w", k, err)
		}
		if meterErr != nil {
			cm.Close(ctx)
			return nil, invalidf("core module of step %d cannot be instrumented for CPU metering: %v; please report this component to the Wisp developers", k, meterErr)
		}
		steps[k] = src
		c.compiled = append(c.compiled, cm)
		if c.memStep < 0 && len(cm.ExportedMemories()) > len(cm.ImportedMemories()) {
			c.memStep = k
		}
	}
	if err := c.checkSignatures(spec); err != nil {
		return nil, err
	}
	// A graph that cannot be snapshotted runs its start functions per run.
	_ = c.snapshot(ctx, steps, spec.Steps, spec.Entry)
	ok = true
	return c, nil
}

func coreTypes(ts []ValueType) []api.ValueType {
	out := make([]api.ValueType, len(ts))
	for i, t := range ts {
		switch t {
		case I32:
			out[i] = api.ValueTypeI32
		case I64:
			out[i] = api.ValueTypeI64
		case F32:
			out[i] = api.ValueTypeF32
		default:
			out[i] = api.ValueTypeF64
		}
	}
	return out
}

// Close releases the compiled modules and the host module.
func (c *Component) Close(ctx context.Context) error {
	if c.pool != nil {
		c.pool.close()
	}
	if c.image != nil {
		c.image.close()
		c.image = nil
	}
	for _, m := range []api.Module{c.host, c.empty} {
		if m != nil {
			m.Close(ctx)
		}
	}
	for _, cm := range c.compiled {
		cm.Close(ctx)
	}
	c.compiled = nil
	return nil
}

// ComponentInstance is one run's graph of core instances: a handle on a
// graph, which Close returns to the component's pool when it can be reused
// (component_reuse.go).
type ComponentInstance struct {
	*graph // nil once closed
}

// graph is a graph of core instances.
type graph struct {
	c     *Component
	inst  []api.Module
	alloc experimentalMemory
	funcs []cachedFunc // functions already looked up (wazero allocates a call engine per lookup)
	// failed: a call trapped, exited or was killed, so the graph is not
	// reused. globals are its steps' mutable globals and initial their
	// values after instantiation, for a reused graph's reset.
	failed  bool
	globals []api.MutableGlobal
	initial []uint64
	// counters are the instances' fuel counters, zeroed by reset.
	counters []api.MutableGlobal
}

type cachedFunc struct {
	step int
	name string
	f    api.Function
	// params and results count the function's (Definition allocates
	// the lists on every call).
	params, results int
}

// Instantiate builds one run's graph: every step instantiated anonymously,
// its imports answered by the graph's earlier instances and the shared host
// module, nothing else (an unknown import module gets an empty instance, so
// the step fails instead of reaching the store's global names). Start
// functions run with ctx, which host functions see.
func (c *Component) Instantiate(ctx context.Context) (*ComponentInstance, error) {
	if c.pool == nil {
		return c.instantiate(ctx, c.compiled, c.snapshotted)
	}
	return c.reusedGraph(ctx)
}

// instantiate builds a graph of compiled, the memory-defining step's memory
// starting as the snapshot's when snapshot is set, else zeroed.
func (c *Component) instantiate(ctx context.Context, compiled []wazero.CompiledModule, snapshot bool) (*ComponentInstance, error) {
	g := &ComponentInstance{&graph{c: c, inst: make([]api.Module, 0, len(compiled))}}
	ictx := experimental.WithImportResolver(ctx, func(name string) api.Module {
		switch name {
		case componentHost:
			return c.host
		case meter.ImportModule:
			return c.meter
		}
		if s, ok := strings.CutPrefix(name, componentStep); ok {
			if k, err := strconv.Atoi(s); err == nil && k >= 0 && k < len(g.inst) {
				return g.inst[k]
			}
		}
		return c.empty
	})
	for k, cm := range compiled {
		sctx := ictx
		if k == c.memStep {
			switch {
			case snapshot && c.image != nil:
				g.alloc = c.image.instanceMemory(&c.e.memory, c.limit)
			case snapshot:
				g.alloc = &sparseMemory{mem: instanceMemory{pool: &c.e.memory}, chunks: c.sparse}
			default:
				g.alloc = &instanceMemory{pool: &c.e.memory}
			}
			sctx = withMemory(ictx, g.alloc)
		}
		m, err := c.rt.rt.InstantiateModule(sctx, cm, c.cfg)
		if err != nil {
			g.Close(ctx)
			return nil, fmt.Errorf("instantiate core instance %d: %w", k, classify(ctx, err))
		}
		g.inst = append(g.inst, m)
	}
	return g, nil
}

// Memory returns the memory step exports as name.
func (g *ComponentInstance) Memory(step int, name string) (Memory, bool) {
	if g.graph == nil || step < 0 || step >= len(g.inst) {
		return nil, false
	}
	m := g.inst[step].ExportedMemory(name)
	if m == nil {
		return nil, false
	}
	return m, true
}

// Call calls the function step exports as name (a function must not be
// called again from inside its own call: realloc and post-return never
// are). Its error is classified as
// Run's are: nil for an exit with code 0, *ExitError, *TrapError, or a
// killed run when ctx ended.
func (g *ComponentInstance) Call(ctx context.Context, step int, name string, params ...uint64) ([]uint64, error) { // a guest exit with code 0 gives *ExitError{Code: 0}: no results
	cf, err := g.function(step, name)
	if err != nil {
		return nil, err
	}
	res, err := cf.f.Call(ctx, params...)
	if err == nil && ctx.Err() == nil {
		return res, nil
	}
	return res, g.callFailed(ctx, err)
}

// CallWithStack is Call with the parameters and results in stack (as
// api.Function's CallWithStack), allocating nothing: stack holds nParams
// parameters and, once it returns normally, the results, whose count it
// returns. It calls nothing and returns called false when Call would
// check something it does not: the function is missing, takes other than
// nParams parameters, or has more results than stack has room for; Call
// then says what is wrong.
func (g *ComponentInstance) CallWithStack(ctx context.Context, step int, name string, stack []uint64, nParams int) (results int, called bool, err error) {
	cf, err := g.function(step, name)
	if err != nil {
		return 0, false, nil
	}
	results = cf.results
	if cf.params != nParams || nParams > len(stack) || results > len(stack) {
		return 0, false, nil
	}
	err = cf.f.CallWithStack(ctx, stack)
	if err == nil && ctx.Err() == nil {
		return results, true, nil
	}
	return 0, true, g.callFailed(ctx, err)
}

// function returns the function step exports as name, cached.
func (g *ComponentInstance) function(step int, name string) (*cachedFunc, error) {
	if g.graph == nil {
		return nil, errors.New("component call: the graph is closed")
	}
	if step < 0 || step >= len(g.inst) {
		return nil, fmt.Errorf("component call: no core instance %d", step)
	}
	for i := range g.funcs {
		if cf := &g.funcs[i]; cf.step == step && cf.name == name {
			return cf, nil
		}
	}
	f := g.inst[step].ExportedFunction(name)
	if f == nil {
		return nil, fmt.Errorf("component call: core instance %d exports no function %q", step, name)
	}
	def := f.Definition()
	// CallWithStack counts stack slots, and a v128 takes two: a function
	// with any type but the one-slot ones is left to Call (params -1
	// matches no caller).
	params, results := len(def.ParamTypes()), len(def.ResultTypes())
	if slices.ContainsFunc(def.ParamTypes(), twoSlots) || slices.ContainsFunc(def.ResultTypes(), twoSlots) {
		params, results = -1, -1
	}
	g.funcs = append(g.funcs, cachedFunc{step, name, f, params, results})
	return &g.funcs[len(g.funcs)-1], nil
}

// twoSlots reports whether a value of type t takes other than one uint64
// of a call's stack (a v128, which api names no constant for, takes two).
func twoSlots(t api.ValueType) bool {
	switch t {
	case api.ValueTypeI32, api.ValueTypeI64, api.ValueTypeF32, api.ValueTypeF64, api.ValueTypeExternref:
		return false
	}
	return true
}

// callFailed marks the graph failed after a call that returned err (or
// during which ctx ended) and classifies err.
func (g *ComponentInstance) callFailed(ctx context.Context, err error) error {
	g.failed = true
	var exit *sys.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 0 && ctx.Err() == nil {
		// The guest ended itself (wasi:cli/exit with ok) inside the call:
		// the call did not return, so there are no results to lift.
		return &ExitError{Code: 0}
	}
	return g.c.e.closedUnder(classify(ctx, err))
}

// MemorySize returns the length the graph's memory grew to, in bytes (0
// if it has none, or after Close).
func (g *ComponentInstance) MemorySize() uint64 {
	if g.graph == nil || g.graph.alloc == nil {
		return 0
	}
	return g.graph.alloc.grown()
}

// Close ends the run: the graph is reset and kept for another run when
// it can be reused (component_reuse.go: every call returned normally and
// ctx is alive), else its instances are closed in reverse order and its
// memory freed. The fuel its instances spent is counted in ctx's account
// (StartMeter) before their counters are reset, so the account may be
// finished before or after Close. It is idempotent.
func (g *ComponentInstance) Close(ctx context.Context) {
	gr := g.graph
	if gr == nil {
		return
	}
	g.graph = nil
	if pool := gr.c.pool; pool != nil && !gr.failed && ctx.Err() == nil && gr.reset(ctx) {
		pool.put(gr)
		return
	}
	gr.discard()
}

// discard closes the graph's instances in reverse order, then frees its
// memory.
func (gr *graph) discard() {
	ctx := context.Background()
	for i := len(gr.inst) - 1; i >= 0; i-- {
		gr.inst[i].Close(ctx)
	}
	gr.inst = nil
	if gr.alloc != nil {
		gr.alloc.Free()
		gr.alloc = nil
	}
}
