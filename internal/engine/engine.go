// Package engine is Wisp's only importer of wazero. It compiles WASI
// command modules ahead of time (with a native code cache on disk), checks
// them against what the node provides, and runs each invocation in a fresh
// instance with the caller's limits.
//
// Every module is rewritten for metering before it is compiled (package
// meter; meter.go): it counts its work in fuel and calls the host when the
// fuel runs out, where the call's deadline and CPU budget are enforced and
// the Go runtime can preempt it. Metered modules run without wazero's
// WithCloseOnContextDone: modules, components' core modules and plugins
// alike.
//
// Compiled modules are shared: compiling the same bytes with the same
// memory limit twice returns the same *Module with its reference count
// raised, and the native code is released when the last reference is
// closed. With a CacheDir, the code of modules not run lately is also
// released when it exceeds Config.CodeCache, and loaded again from disk
// when next run (see resident.go).
//
// An Engine and its Modules are safe for concurrent use.
package engine

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"
)

// Config configures an Engine. The zero value is usable: no disk cache.
type Config struct {
	// CacheDir holds wazero's native code cache, keyed by module content,
	// wazero version and CPU. A restarted node finds modules compiled there
	// and does not compile them again. The engine also keeps a copy of
	// each module's bytes there (CacheDir/modules), to load released code
	// again. Empty: cache in memory only, and compiled code is never
	// released while its module is open.
	CacheDir string
	// CodeCache is how much compiled code, in bytes as estimated from each
	// module's size (see DefaultCodeCache and resident.go), stays in memory
	// with a CacheDir: past it, the code of the modules least recently run
	// is released, and loaded again from CacheDir on their next run. Code
	// an instance is running is never released, so a burst may exceed it
	// until the instances finish. 0: DefaultCodeCache (256 MiB). Negative:
	// no limit.
	CodeCache int64
	// HostModules are the host functions instances may import beside
	// WASI preview 1. They are the same for every module of the engine;
	// a module importing anything else is refused at compile time.
	HostModules []HostModule
}

// Engine compiles and runs modules. One wazero runtime exists per distinct
// memory limit (wazero sets the limit per runtime); all runtimes share one
// compilation cache.
type Engine struct {
	cache wazero.CompilationCache
	host  []HostModule

	mu       sync.Mutex
	runtimes map[runtimeKey]*runtime
	modules  map[moduleKey]*Module
	closed   bool
	// retiredHits are the code cache hits of modules closed since New
	// (Stats adds those of the open ones).
	retiredHits uint64

	memory   memoryPool    // linear memories of every runtime
	resident residency     // which modules' code is in memory
	reused   atomic.Uint64 // runs on a reused instance (Stats.Reused)
}

type runtime struct {
	rt wazero.Runtime
	// provided lists the host functions instances may import, by
	// "module.name", with their signatures.
	provided map[string]api.FunctionDefinition
	services bool       // host modules beside WASI are instantiated (a node, not wisp run)
	meter    api.Module // the wisp:meter host module of a metered runtime
}

// runtimeKey names a runtime: its memory limit in pages, and whether its
// modules are metered (see meter.go) or interrupted by wazero's
// WithCloseOnContextDone (none is today: modules and components' core
// modules are all metered).
type runtimeKey struct {
	pages   uint32
	metered bool
}

type moduleKey struct {
	sum      [sha256.Size]byte
	pages    uint32
	snapshot bool // a pre-initialized reactor's rewritten module
}

// OffHeap returns the bytes of linear memory the engine holds outside the
// Go heap, where the Go runtime's own figures do not see them: regions in
// use (up to the length each was grown to) and the pages free regions keep
// resident. Zero on platforms without regions. Safe for concurrent use.
func (e *Engine) OffHeap() int64 { return e.memory.regions.held.Load() }

// ErrClosed is returned by an Engine or Module used after Close.
var ErrClosed = errors.New("engine closed")

// New returns an Engine. It creates cfg.CacheDir if needed.
func New(cfg Config) (*Engine, error) {
	e := &Engine{runtimes: map[runtimeKey]*runtime{}, modules: map[moduleKey]*Module{}, host: cfg.HostModules}
	if cfg.CacheDir != "" {
		c, err := wazero.NewCompilationCacheWithDir(cfg.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("open native code cache %s: %w", cfg.CacheDir, err)
		}
		e.cache = c
		e.resident.sources = filepath.Join(cfg.CacheDir, sourceDirName)
		if err := openSources(e.resident.sources); err != nil {
			c.Close(context.Background())
			return nil, err
		}
		switch {
		case cfg.CodeCache == 0:
			e.resident.budget = DefaultCodeCache
		case cfg.CodeCache > 0:
			e.resident.budget = cfg.CodeCache
		}
	} else {
		e.cache = wazero.NewCompilationCache()
	}
	return e, nil
}

// meteredRuntimeFor returns the runtime for a memory limit whose modules
// are metered (see meter.go). Called with e.mu held.
func (e *Engine) meteredRuntimeFor(ctx context.Context, pages uint32) (*runtime, error) {
	return e.runtimeWith(ctx, runtimeKey{pages: pages, metered: true})
}

func (e *Engine) runtimeWith(ctx context.Context, key runtimeKey) (*runtime, error) {
	if r, ok := e.runtimes[key]; ok {
		return r, nil
	}
	cfg := wazero.NewRuntimeConfig(). // compiler on amd64/arm64, interpreter elsewhere
						WithCompilationCache(e.cache).
						WithCloseOnContextDone(!key.metered). // metered modules stop in refuel
						WithMemoryLimitPages(key.pages).
						WithCoreFeatures(api.CoreFeaturesV2)
	rt := wazero.NewRuntimeWithConfig(ctx, cfg)
	if _, err := instantiateWASI(ctx, rt); err != nil {
		rt.Close(ctx)
		return nil, fmt.Errorf("instantiate WASI host module: %w", err)
	}
	host := rt.Module(wasi_snapshot_preview1.ModuleName)
	r := &runtime{rt: rt, provided: map[string]api.FunctionDefinition{}}
	for name, def := range host.ExportedFunctionDefinitions() {
		r.provided[wasi_snapshot_preview1.ModuleName+"."+name] = def
	}
	r.services = len(e.host) > 0
	if err := instantiateHostModules(ctx, rt, e.host, r.provided); err != nil {
		rt.Close(ctx)
		return nil, err
	}
	if key.metered {
		var err error
		if r.meter, err = instantiateMeter(ctx, rt, r.provided); err != nil {
			rt.Close(ctx)
			return nil, err
		}
	}
	e.runtimes[key] = r
	return r, nil
}

// Close releases every runtime and module. Running instances are stopped.
func (e *Engine) Close(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil
	}
	e.closed = true
	var errs []error
	for _, r := range e.runtimes {
		// Instances still running are killed: their calls report
		// context.Canceled, not success.
		errs = append(errs, r.rt.CloseWithExitCode(ctx, sys.ExitCodeContextCanceled))
	}
	errs = append(errs, e.cache.Close(ctx))
	e.memory.regions.close()
	return errors.Join(errs...)
}
