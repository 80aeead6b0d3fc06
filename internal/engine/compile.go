package engine

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"

	"github.com/wisphq/wisp/internal/wasmscan"
)

// ErrInvalidModule is matched (errors.Is) by every error Compile returns
// because of the module itself rather than the node: not WebAssembly,
// unknown imports, no _start, memory over the limit.
var ErrInvalidModule = errors.New("invalid module")

type invalidModuleError struct{ msg string }

func (e *invalidModuleError) Error() string        { return e.msg }
func (e *invalidModuleError) Is(target error) bool { return target == ErrInvalidModule }

func invalidf(format string, args ...any) error {
	return &invalidModuleError{msg: fmt.Sprintf(format, args...)}
}

const pageSize = 64 << 10

// linkTimeout bounds the trial instantiation at compile time.
const linkTimeout = 2 * time.Second

// Module is a compiled, validated WASI command module. Release it with Close.
type Module struct {
	e       *Engine
	key     moduleKey
	rt      *runtime
	reactor bool     // exports HandlerEntry rather than CommandEntry
	imports []string // modules it imports functions from, sorted
	wasm    []byte   // the original bytes when there is no copy on disk, for Prepare
	refs    int      // guarded by e.mu

	// Residency (resident.go). compiled is written only while no caller
	// holds a pin, and read by callers holding one or with
	// e.resident.mu held.
	compiled  wazero.CompiledModule // nil while released
	pins      atomic.Int64          // instances running on compiled; evicted while released
	recent    atomic.Bool           // run since the clock hand last passed
	hits      atomic.Uint64         // runs that found the compiled code in memory
	dead      atomic.Bool           // the last reference was closed
	cost      int64                 // estimated bytes compiled resides in
	slot      int                   // index in e.resident.ring; guarded by e.resident.mu
	loading   *reload               // load in flight; guarded by e.resident.mu
	unpinFunc func()                // m.unpin, allocated once
}

// Imports lists the modules m imports functions from
// ("wasi_snapshot_preview1", "wisp:keyvalue/store@1", ...), sorted.
func (m *Module) Imports() []string { return m.imports }

// Reactor reports whether m is a reactor, pre-initialized by Prepare and
// entered through HandlerEntry, rather than a command run from _start.
func (m *Module) Reactor() bool { return m.reactor }

// Compile validates wasm and compiles it to native code for instances whose
// linear memory may grow to at most memoryLimit bytes (rounded down to
// whole 64 KiB pages; at most 4 GiB). Validation refuses, with an error
// matching ErrInvalidModule that names the problem:
//   - bytes that are not a valid WebAssembly module;
//   - imports of anything but the WASI preview1 functions the node
//     provides, or with a signature other than theirs;
//   - modules without an exported `_start` function;
//   - a declared minimum memory above memoryLimit.
//
// Compiling the same bytes with the same limit again returns the same
// Module with one more reference; each Compile needs its own Close.
func (e *Engine) Compile(ctx context.Context, wasm []byte, memoryLimit uint64) (*Module, error) {
	return e.compile(ctx, wasm, memoryLimit, false)
}

// compile is Compile; snapshot marks a pre-initialized reactor's rewritten
// module (snapshot.go), which is compiled as it is. Any other module that
// exports HandlerEntry is compiled in its instrumented form (its mutable
// globals exported, see package preinit), the form Prepare initializes:
// compiling the module once serves both validation and initialization.
func (e *Engine) compile(ctx context.Context, wasm []byte, memoryLimit uint64, snapshot bool) (*Module, error) {
	pages := memoryLimit / pageSize
	if pages == 0 || pages > 65536 {
		return nil, fmt.Errorf("memory limit %d bytes is out of range: use 64KiB to 4GiB", memoryLimit)
	}
	key := moduleKey{sum: sha256.Sum256(wasm), pages: uint32(pages), snapshot: snapshot}

	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil, ErrClosed
	}
	if m, ok := e.modules[key]; ok {
		m.refs++
		e.mu.Unlock()
		return m, nil
	}
	rt, err := e.meteredRuntimeFor(ctx, uint32(pages))
	e.mu.Unlock()
	if err != nil {
		return nil, err
	}

	// Compile outside the lock: a large module takes a while and must not
	// hold up other deploys or lookups.
	if _, err := scan(wasm, wasmscan.DefaultLimits); err != nil {
		return nil, err // the module as uploaded is held to the limits
	}
	src, meterErr := compiledForm(wasm, snapshot)
	if src == nil {
		return nil, meterErr
	}
	compiled, reactor, cost, err := compileAndCheck(ctx, rt, src, memoryLimit)
	if err != nil {
		return nil, err
	}
	if meterErr != nil { // valid, but the rewriter could not read it
		compiled.Close(ctx)
		return nil, invalidf("module cannot be instrumented for CPU metering: %v; please report this module to the Wisp developers", meterErr)
	}
	original := !snapshot // a reactor is rewritten, a reusable command's globals read, by Prepare
	if e.resident.sources != "" {
		if err := writeSource(e.resident.sources, key.sum, wasm); err != nil {
			compiled.Close(ctx)
			return nil, fmt.Errorf("compile: %w", err)
		}
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		compiled.Close(ctx)
		return nil, ErrClosed
	}
	if m, ok := e.modules[key]; ok { // compiled concurrently by another caller
		compiled.Close(ctx)
		m.refs++
		return m, nil
	}
	m := &Module{e: e, key: key, rt: rt, reactor: reactor, refs: 1, cost: cost, imports: withoutMeter(importedModules(compiled))}
	m.unpinFunc = m.unpin
	if original && e.resident.sources == "" {
		m.wasm = wasm // Prepare rewrites it into its pre-initialized form
	}
	e.resident.add(m, compiled)
	e.modules[key] = m
	return m, nil
}

// compiledForm returns the bytes Compile compiles for wasm: its reactor
// form (reactorForm) instrumented for metering (meter.go). When the
// metering rewriter cannot read the module it returns the uninstrumented
// bytes with the rewriter's error, so that Compile can say what is wrong
// with the module; any other error comes with nil bytes.
func compiledForm(wasm []byte, snapshot bool) ([]byte, error) {
	src, err := reactorForm(wasm, snapshot)
	if err != nil {
		return nil, err
	}
	return meteredForm(src)
}

// compileAndCheck compiles and validates wasm, and estimates the memory
// its compiled code takes (see residentCost).
func compileAndCheck(ctx context.Context, rt *runtime, wasm []byte, memoryLimit uint64) (compiled wazero.CompiledModule, reactor bool, cost int64, err error) {
	// wazero trusts what a module declares: 2^32 locals make it allocate
	// 32 GiB (a fatal error, not a panic), deep nesting takes minutes to
	// compile, a huge table reserves memory outside the limit. The
	// pre-scan refuses such modules before wazero sees a byte.
	summary, err := scan(wasm, meteredLimits())
	if err != nil {
		return nil, false, 0, err
	}
	compiled, err = compileModule(ctx, rt.rt, wasm)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, false, 0, fmt.Errorf("compile: %w", ctxErr)
		}
		var pathErr *fs.PathError
		if errors.As(err, &pathErr) { // the native code cache, not the module
			return nil, false, 0, fmt.Errorf("compile: native code cache: %w", err)
		}
		msg := err.Error()
		if strings.Contains(msg, "over limit") || strings.Contains(msg, "exceeds") && strings.Contains(msg, "memory") {
			return nil, false, 0, invalidf("module declares more memory than its limit of %s allows (%s): raise limits.memory or shrink the module's initial memory", formatBytes(memoryLimit), msg)
		}
		if strings.Contains(msg, "EOF") {
			return nil, false, 0, invalidf("module is truncated or corrupt: it ends in the middle of a section (%s); upload the complete .wasm file", msg)
		}
		return nil, false, 0, invalidf("module is not valid WebAssembly: %s (is it a .wasm binary built for wasm32-wasi / wasip1?)", msg)
	}
	if err := checkImports(rt, compiled); err != nil {
		compiled.Close(ctx)
		return nil, false, 0, err
	}
	reactor, err = checkEntry(compiled)
	if err != nil {
		compiled.Close(ctx)
		return nil, false, 0, err
	}
	// A trial instantiation resolves every import (globals, tables and
	// memories too, which CompiledModule does not list) and applies memory
	// and data segments, so a module that cannot link fails here and not on
	// its first request. It does not call _start, but wazero runs a
	// WebAssembly start section if the module has one: that gets
	// linkTimeout, like any guest code.
	linkCtx, cancel := context.WithTimeout(ctx, linkTimeout)
	defer cancel()
	mod, err := rt.rt.InstantiateModule(linkCtx, compiled, wazero.NewModuleConfig().WithName("").WithStartFunctions())
	if err != nil {
		compiled.Close(ctx)
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, false, 0, fmt.Errorf("link: %w", ctxErr)
		}
		if linkCtx.Err() != nil {
			return nil, false, 0, invalidf("module's start section did not finish within %s when the module was linked; a WASI command must do its work in _start, not in a start section", linkTimeout)
		}
		return nil, false, 0, invalidf("module cannot be instantiated: %s", err)
	}
	mod.Close(ctx)
	return compiled, reactor, residentCost(len(wasm), summary), nil
}

// meteredLimits returns the pre-scan's limits for the form of a module that
// is compiled: the uploaded module is held to wasmscan.DefaultLimits
// first, and metering adds a few instructions per block, so the work and
// size limits get room for them (a function just under the limit as
// uploaded must not be refused for what Wisp added).
func meteredLimits() wasmscan.Limits {
	l := wasmscan.DefaultLimits
	l.MaxModuleBytes *= 2
	l.MaxBodyBytes *= 2
	l.MaxFunctionWork *= 2
	l.MaxModuleWork *= 2
	return l
}

// scan is wasmscan.Scan with its errors as a deploy reports them.
func scan(wasm []byte, limits wasmscan.Limits) (wasmscan.Summary, error) {
	summary, err := wasmscan.Scan(wasm, limits)
	switch {
	case errors.Is(err, wasmscan.ErrLimit):
		return summary, invalidf("%s", err)
	case err != nil:
		return summary, invalidf("%s; upload the complete .wasm binary, built for wasm32-wasi / wasip1", err)
	}
	return summary, nil
}

// compileModule is rt.CompileModule, with a panic in wazero returned as
// an error: wazero v1.12 panics (an index out of range) validating some
// invalid modules that the pre-scan lets through
// (testdata/wazeropanic.wasm, found by fuzzing the metering rewriter), and
// a deploy must not take the node down.
func compileModule(ctx context.Context, rt wazero.Runtime, wasm []byte) (c wazero.CompiledModule, err error) {
	defer func() {
		if r := recover(); r != nil {
			c, err = nil, fmt.Errorf("wazero failed while validating it (%v)", r)
		}
	}()
	return rt.CompileModule(ctx, wasm)
}

func formatBytes(n uint64) string {
	switch {
	case n%(1<<30) == 0:
		return fmt.Sprintf("%dGiB", n>>30)
	case n%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", n>>20)
	case n%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}

// retain takes another reference on m, unless it is already released.
func (m *Module) retain() bool {
	m.e.mu.Lock()
	defer m.e.mu.Unlock()
	if m.refs <= 0 || m.e.closed {
		return false
	}
	m.refs++
	return true
}

// Close releases this reference. The native code is released with the last
// one, or, if instances are still running, when the last of them finishes.
func (m *Module) Close(ctx context.Context) error {
	m.e.mu.Lock()
	defer m.e.mu.Unlock()
	m.refs--
	if m.refs > 0 {
		return nil
	}
	delete(m.e.modules, m.key)
	m.e.retiredHits += m.hits.Load()
	m.release()
	return nil
}
