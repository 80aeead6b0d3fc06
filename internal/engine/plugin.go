package engine

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"

	"github.com/wisphq/wisp/internal/meter"
	"github.com/wisphq/wisp/internal/wasmscan"
)

// This file is the engine side of package plugin (issue 15): a module whose
// exported functions are called by name, each call in a fresh instance or
// in one instance kept for several calls, with host functions chosen per
// plugin rather than per engine.
//
// A plugin gets a wazero runtime of its own: its host modules (the Extism
// ABI and the embedder's functions) differ from one plugin to the next,
// and wazero resolves imports by module name within a runtime. The
// runtime shares the engine's compilation cache, so loading the same
// bytes twice compiles them once, and its instances take their linear
// memory from the engine's pool like a node's (memory.go).
//
// A plugin is metered as a node's modules are (meter.go): its module is
// rewritten to count fuel, its runtime has the wisp:meter host module
// and no WithCloseOnContextDone, and a call is stopped in refuel at its
// context's end, when the plugin is closed, or past the CPU budget of the
// account StartMeter put in its context.

// PluginConfig configures LoadPlugin.
type PluginConfig struct {
	// MemoryLimit is the most linear memory any instance of the plugin may
	// have, in bytes (whole 64 KiB pages, at most 4 GiB). Each instance
	// may be given a lower limit (PluginInstanceConfig.MemoryLimit).
	// Required.
	MemoryLimit uint64
	// WASI gives instances WASI preview 1 (clocks, random, stderr and
	// stdout to the instance's writers, no files, empty environment and
	// arguments). Without it a module importing wasi_snapshot_preview1 is
	// refused.
	WASI bool
	// HostModules are the host functions instances may import. A module
	// importing anything else is refused, unless StubMissing.
	HostModules []HostModule
	// StubMissing links each function the module imports and no host
	// module provides (WASI aside) to a stub that fails the call naming
	// it, instead of refusing the module: for a tool calling plugins
	// written for another host (wisp call), whose functions that do not
	// need the missing imports still work.
	StubMissing bool
}

// Plugin is a compiled module whose exported functions are called by
// name. It is safe for concurrent use; its instances are not.
type Plugin struct {
	e        *Engine
	rt       wazero.Runtime
	compiled wazero.CompiledModule
	base     wazero.ModuleConfig
	wasi     bool
	limit    uint64 // bytes
	minMem   uint64 // bytes of memory the module starts with
	funcs    map[string]PluginFunc
	init     bool // exports _initialize
	closed   atomic.Bool
}

// PluginFunc describes an exported function a plugin call may name.
type PluginFunc struct {
	// ReturnsCode is true for a function returning an i32 (Extism's
	// convention: 0 is success), false for one returning nothing.
	ReturnsCode bool
}

// ErrPluginMemory is matched by the error of a call whose guest asked for
// more linear memory than its limit allows and then failed.
var ErrPluginMemory = errors.New("memory limit reached")

// LoadPlugin validates and compiles wasm as a plugin. It refuses, with an
// error matching ErrInvalidModule: bytes that are not WebAssembly (or
// exceed the pre-scan's caps), imports other than cfg's host modules (and
// WASI with cfg.WASI), imported memories, and a declared minimum memory
// above cfg.MemoryLimit. A start section runs at load time, with ctx.
// Release the Plugin with Close.
func (e *Engine) LoadPlugin(ctx context.Context, wasm []byte, cfg PluginConfig) (*Plugin, error) {
	pages := cfg.MemoryLimit / pageSize
	if pages == 0 || pages > 65536 {
		return nil, fmt.Errorf("memory limit %d bytes is out of range: use 64KiB to 4GiB", cfg.MemoryLimit)
	}
	e.mu.Lock()
	closed := e.closed
	e.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	if _, err := wasmscan.Scan(wasm, wasmscan.DefaultLimits); err != nil {
		return nil, invalidf("%s", err)
	}
	// The runtime allows wazero's largest memory: the limit is enforced by
	// each instance's limitedMemory, which then knows that a growth was
	// refused (wazero refusing one itself leaves no trace).
	rtc := wazero.NewRuntimeConfig().
		WithCompilationCache(e.cache).
		WithMemoryLimitPages(65536). // metered: stopped in refuel, not by WithCloseOnContextDone

		WithCoreFeatures(api.CoreFeaturesV2)
	rt := wazero.NewRuntimeWithConfig(ctx, rtc)
	p, err := e.loadPlugin(ctx, rt, wasm, cfg)
	if err != nil {
		rt.Close(ctx)
		return nil, err
	}
	return p, nil
}

func (e *Engine) loadPlugin(ctx context.Context, rt wazero.Runtime, wasm []byte, cfg PluginConfig) (*Plugin, error) {
	provided := map[string]api.FunctionDefinition{}
	if cfg.WASI {
		if _, err := instantiateWASI(ctx, rt); err != nil {
			return nil, fmt.Errorf("instantiate WASI host module: %w", err)
		}
		for name, def := range rt.Module(wasi_snapshot_preview1.ModuleName).ExportedFunctionDefinitions() {
			provided[wasi_snapshot_preview1.ModuleName+"."+name] = def
		}
	}
	if _, err := instantiateMeter(ctx, rt, provided); err != nil {
		return nil, err
	}
	src, meterErr := meteredForm(wasm)
	if src == nil {
		return nil, meterErr
	}
	compiled, err := compileModule(ctx, rt, src)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("compile: %w", ctxErr)
		}
		return nil, invalidf("module is not valid WebAssembly: %s", err)
	}
	if meterErr != nil { // valid, but the rewriter could not read it
		compiled.Close(ctx)
		return nil, invalidf("module cannot be instrumented for CPU metering: %v; please report this module to the Wisp developers", meterErr)
	}
	mods := cfg.HostModules
	if cfg.StubMissing {
		mods = withStubs(mods, compiled)
	}
	if err := instantiateHostModules(ctx, rt, mods, provided); err != nil {
		compiled.Close(ctx)
		return nil, err
	}
	if err := checkPluginImports(compiled, provided, cfg.WASI); err != nil {
		compiled.Close(ctx)
		return nil, err
	}
	p := &Plugin{e: e, rt: rt, compiled: compiled, wasi: cfg.WASI, limit: (cfg.MemoryLimit / pageSize) * pageSize, funcs: map[string]PluginFunc{}}
	for name, def := range compiled.ExportedFunctions() {
		if len(def.ParamTypes()) != 0 {
			continue
		}
		switch rs := def.ResultTypes(); {
		case len(rs) == 0:
			p.funcs[name] = PluginFunc{}
		case len(rs) == 1 && rs[0] == api.ValueTypeI32:
			p.funcs[name] = PluginFunc{ReturnsCode: true}
		}
	}
	if f, ok := p.funcs[InitializeEntry]; ok && !f.ReturnsCode {
		p.init = true
	}
	for _, m := range compiled.ExportedMemories() {
		p.minMem = uint64(m.Min()) * pageSize
	}
	if p.minMem > p.limit {
		compiled.Close(ctx)
		return nil, invalidf("module declares %s of initial memory, more than the plugin's memory limit of %s: raise the limit or shrink the module's initial memory", formatBytes(p.minMem), formatBytes(p.limit))
	}
	// A random source is set even without WASI: wazero's default, a
	// deterministic generator seeded per instance, was a third of a tiny
	// plugin's call.
	p.base = wazero.NewModuleConfig().WithName("").WithStartFunctions().WithRandSource(rand.Reader)
	if cfg.WASI {
		p.base = p.base.WithSysWalltime().WithSysNanotime()
	}
	// A trial instantiation links every import (globals, tables, memories)
	// and runs a start section once, so a plugin that cannot be
	// instantiated fails here rather than on its first call.
	linkCtx, cancel := context.WithTimeout(ctx, linkTimeout)
	defer cancel()
	mod, err := rt.InstantiateModule(linkCtx, compiled, p.base)
	if err != nil {
		compiled.Close(ctx)
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("link: %w", ctxErr)
		}
		return nil, invalidf("module cannot be instantiated: %s", err)
	}
	mod.Close(ctx)
	return p, nil
}

// withStubs returns mods with a stub for every function compiled imports
// that mods do not provide (WASI aside).
func withStubs(mods []HostModule, compiled wazero.CompiledModule) []HostModule {
	have := map[string]bool{}
	index := map[string]int{}
	for i, m := range mods {
		index[m.Name] = i
		for _, f := range m.Funcs {
			have[m.Name+"."+f.Name] = true
		}
	}
	out := append([]HostModule(nil), mods...)
	for i := range out {
		out[i].Funcs = append([]HostFunc(nil), out[i].Funcs...)
	}
	for _, imp := range compiled.ImportedFunctions() {
		mod, name, _ := imp.Import()
		if mod == wasi_snapshot_preview1.ModuleName || mod == meter.ImportModule || have[mod+"."+name] {
			continue
		}
		have[mod+"."+name] = true
		i, ok := index[mod]
		if !ok {
			i = len(out)
			index[mod] = i
			out = append(out, HostModule{Name: mod})
		}
		what := mod + "." + name
		out[i].Funcs = append(out[i].Funcs, HostFunc{
			Name: name, Params: fromAPI(imp.ParamTypes()), Results: fromAPI(imp.ResultTypes()),
			Fn: func(context.Context, Memory, []uint64) {
				panic(fmt.Errorf("the plugin called %s, a host function this host does not provide", what))
			},
		})
	}
	return out
}

func fromAPI(ts []api.ValueType) []ValueType {
	out := make([]ValueType, len(ts))
	for i, t := range ts {
		out[i] = I32
		if t == api.ValueTypeI64 {
			out[i] = I64
		}
	}
	return out
}

// checkPluginImports refuses imports the plugin's runtime does not provide.
func checkPluginImports(compiled wazero.CompiledModule, provided map[string]api.FunctionDefinition, wasi bool) error {
	var problems []string
	wasiMissing := false
	for _, imp := range compiled.ImportedFunctions() {
		mod, name, _ := imp.Import()
		have, ok := provided[mod+"."+name]
		switch {
		case !ok && mod == wasi_snapshot_preview1.ModuleName && !wasi:
			if !wasiMissing {
				wasiMissing = true
				problems = append(problems, fmt.Sprintf("module imports WASI (%s.%s, ...) but WASI is not enabled for this plugin: enable it (plugin.Config.WASI, wisp call --wasi)", mod, name))
			}
		case !ok:
			problems = append(problems, fmt.Sprintf("module imports %s.%s, which the host does not provide", mod, name))
		default:
			if want, got := signature(have), signature(imp); want != got {
				problems = append(problems, fmt.Sprintf("module imports %s.%s with signature %s, but the host provides %s", mod, name, got, want))
			}
		}
	}
	for _, imp := range compiled.ImportedMemories() {
		mod, name, _ := imp.Import()
		problems = append(problems, fmt.Sprintf("module imports memory %s.%s; a plugin must define its own memory", mod, name))
	}
	if len(problems) == 0 {
		return nil
	}
	sort.Strings(problems)
	return invalidf("%s", strings.Join(problems, "; "))
}

// Functions returns the exported functions a call may name: those taking
// nothing and returning nothing or an i32. The map must not be modified.
func (p *Plugin) Functions() map[string]PluginFunc { return p.funcs }

// MemoryLimit returns the plugin's memory limit in bytes.
func (p *Plugin) MemoryLimit() uint64 { return p.limit }

// Close releases the plugin's runtime and compiled code. Instances still
// running are stopped: their calls report context.Canceled.
func (p *Plugin) Close(ctx context.Context) error {
	if !p.closed.CompareAndSwap(false, true) {
		return nil
	}
	return p.rt.CloseWithExitCode(ctx, sys.ExitCodeContextCanceled)
}

// PluginInstanceConfig is what differs between instances of one plugin.
type PluginInstanceConfig struct {
	// MemoryLimit caps the instance's linear memory below the plugin's
	// limit. 0: the plugin's limit.
	MemoryLimit uint64
	// Stdout and Stderr receive the guest's WASI output. Nil: discarded.
	Stdout, Stderr io.Writer
}

// PluginInstance is one instance of a plugin. It is not safe for
// concurrent use: calls on it must be serialized.
type PluginInstance struct {
	p       *Plugin
	mod     api.Module
	counter api.MutableGlobal // the fuel counter (meter.go)
	mem     limitedMemory
	// The function called last, looked up once: each lookup allocates a
	// call stack.
	fnName string
	fn     api.Function
	// exited: the guest called proc_exit(0) (a command's _start returning
	// does): the call succeeded but the instance cannot be called again.
	exited bool
}

// Exited reports whether the instance exited (WASI proc_exit with code 0,
// as a command's _start does) and must not be called again.
func (i *PluginInstance) Exited() bool { return i.exited }

// Instantiate creates an instance and runs its _initialize (a WASI
// reactor's constructors), if it exports one, with ctx: host functions
// called from _initialize get ctx. Close the instance when done.
func (p *Plugin) Instantiate(ctx context.Context, c PluginInstanceConfig) (*PluginInstance, error) {
	if p.closed.Load() {
		return nil, ErrClosed
	}
	limit := p.limit
	if c.MemoryLimit > 0 && c.MemoryLimit < limit {
		limit = (c.MemoryLimit / pageSize) * pageSize
	}
	if p.minMem > limit {
		return nil, fmt.Errorf("the module needs %s of memory to start, more than the call's memory limit of %s: %w", formatBytes(p.minMem), formatBytes(limit), ErrPluginMemory)
	}
	cfg := p.base
	if p.wasi {
		cfg = cfg.WithStdout(orDiscard(c.Stdout)).WithStderr(orDiscard(c.Stderr)).WithNanosleep(sleeperFor(ctx))
	}
	i := &PluginInstance{p: p, mem: limitedMemory{inner: instanceMemory{pool: &p.e.memory}, limit: limit}}
	mod, err := p.rt.InstantiateModule(withMemory(ctx, &i.mem), p.compiled, cfg)
	if err != nil {
		i.mem.inner.Free()
		if p.closed.Load() {
			return nil, fmt.Errorf("plugin closed: %w", context.Canceled)
		}
		return nil, i.mem.explain(classify(ctx, err))
	}
	i.mod = mod
	var ok bool
	if i.counter, ok = mod.ExportedGlobal(meter.FuelExport).(api.MutableGlobal); !ok {
		i.Close(ctx)
		return nil, fmt.Errorf("metered plugin instance exports no mutable %s", meter.FuelExport)
	}
	if p.init {
		if _, err := i.Call(ctx, InitializeEntry); err != nil {
			i.Close(ctx)
			return nil, fmt.Errorf("%s: %w", InitializeEntry, err)
		}
	}
	return i, nil
}

// Call calls the exported function name on the instance with ctx, which
// host functions receive. The guest's fuel is charged to the account
// StartMeter put in ctx, if any, and the call is stopped past its budget;
// the instance's counter is reset first, so fuel left from an earlier
// call is not this one's. It returns the function's i32 result (0 for a
// function returning nothing). Errors: an error matching
// context.DeadlineExceeded or context.Canceled when ctx ended first (the
// instance is then closed and unusable), an *ExitError when the guest
// called proc_exit with a non-zero code, a *TrapError for a trap or a
// failing host function, either also matching ErrPluginMemory when the
// guest had been refused memory; a call stopped at its CPU budget fails
// with one of these too, which the account's finish turns into a
// *CPULimitError. After any error the instance must not be
// called again, only closed.
func (i *PluginInstance) Call(ctx context.Context, name string) (uint32, error) {
	f := i.fn
	if f == nil || i.fnName != name {
		if f = i.mod.ExportedFunction(name); f == nil {
			return 0, fmt.Errorf("module exports no function %q", name)
		}
		i.fn, i.fnName = f, name
	}
	resetMeterIn(ctx, i.mod, i.counter)
	res, err := f.Call(ctx)
	if err != nil {
		err = classify(ctx, err)
		if err == nil { // proc_exit(0): the call succeeded, the instance is done
			i.exited = true
			return 0, nil
		}
		if i.p.closed.Load() {
			return 0, fmt.Errorf("plugin closed: %w", context.Canceled)
		}
		return 0, i.mem.explain(err)
	}
	if len(res) == 1 {
		return uint32(res[0]), nil
	}
	return 0, nil
}

// MemoryRefused reports whether the instance was refused memory it asked
// for (a memory.grow past its limit).
func (i *PluginInstance) MemoryRefused() bool { return i.mem.refused.Load() }

// Close closes the instance and returns its memory to the pool.
func (i *PluginInstance) Close(ctx context.Context) error {
	err := i.mod.Close(context.WithoutCancel(ctx))
	i.mem.inner.Free()
	return err
}

// limitedMemory is an instanceMemory capped at a limit below the runtime's,
// remembering whether a growth was refused.
type limitedMemory struct {
	inner   instanceMemory
	limit   uint64
	refused atomic.Bool
}

func (m *limitedMemory) Allocate(capacity, maxBytes uint64) experimental.LinearMemory {
	m.inner.Allocate(capacity, min(maxBytes, m.limit))
	return wazeroView{m}
}

func (m *limitedMemory) Reallocate(size uint64) []byte {
	if size > m.limit {
		m.refused.Store(true)
		return nil
	}
	b := m.inner.Reallocate(size)
	if b == nil {
		m.refused.Store(true)
	}
	return b
}

func (m *limitedMemory) Free() { m.inner.Free() }

// explain adds ErrPluginMemory to a failure that followed a refused
// memory.grow.
func (m *limitedMemory) explain(err error) error {
	if err == nil || !m.refused.Load() {
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return err
	}
	return fmt.Errorf("%w (after the guest was refused memory beyond %s: %w)", err, formatBytes(m.limit), ErrPluginMemory)
}
