package engine

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

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
	e        *Engine
	key      moduleKey
	rt       *runtime
	compiled wazero.CompiledModule
	refs     int // guarded by e.mu
}

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
	pages := memoryLimit / pageSize
	if pages == 0 || pages > 65536 {
		return nil, fmt.Errorf("memory limit %d bytes is out of range: use 64KiB to 4GiB", memoryLimit)
	}
	key := moduleKey{sum: sha256.Sum256(wasm), pages: uint32(pages)}

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
	rt, err := e.runtimeFor(ctx, uint32(pages))
	e.mu.Unlock()
	if err != nil {
		return nil, err
	}

	// Compile outside the lock: a large module takes a while and must not
	// hold up other deploys or lookups.
	compiled, err := compileAndCheck(ctx, rt, wasm, memoryLimit)
	if err != nil {
		return nil, err
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
	m := &Module{e: e, key: key, rt: rt, compiled: compiled, refs: 1}
	e.modules[key] = m
	return m, nil
}

func compileAndCheck(ctx context.Context, rt *runtime, wasm []byte, memoryLimit uint64) (wazero.CompiledModule, error) {
	// wazero trusts what a module declares: 2^32 locals make it allocate
	// 32 GiB (a fatal error, not a panic), deep nesting takes minutes to
	// compile, a huge table reserves memory outside the limit. The
	// pre-scan refuses such modules before wazero sees a byte.
	if _, err := wasmscan.Scan(wasm, wasmscan.DefaultLimits); err != nil {
		if errors.Is(err, wasmscan.ErrLimit) {
			return nil, invalidf("%s", err)
		}
		return nil, invalidf("%s; upload the complete .wasm binary, built for wasm32-wasi / wasip1", err)
	}
	compiled, err := rt.rt.CompileModule(ctx, wasm)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("compile: %w", ctxErr)
		}
		var pathErr *fs.PathError
		if errors.As(err, &pathErr) { // the native code cache, not the module
			return nil, fmt.Errorf("compile: native code cache: %w", err)
		}
		msg := err.Error()
		if strings.Contains(msg, "over limit") || strings.Contains(msg, "exceeds") && strings.Contains(msg, "memory") {
			return nil, invalidf("module declares more memory than its limit of %s allows (%s): raise limits.memory or shrink the module's initial memory", formatBytes(memoryLimit), msg)
		}
		if strings.Contains(msg, "EOF") {
			return nil, invalidf("module is truncated or corrupt: it ends in the middle of a section (%s); upload the complete .wasm file", msg)
		}
		return nil, invalidf("module is not valid WebAssembly: %s (is it a .wasm binary built for wasm32-wasi / wasip1?)", msg)
	}
	if err := checkImports(rt, compiled); err != nil {
		compiled.Close(ctx)
		return nil, err
	}
	if err := checkStart(compiled); err != nil {
		compiled.Close(ctx)
		return nil, err
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
			return nil, fmt.Errorf("link: %w", ctxErr)
		}
		if linkCtx.Err() != nil {
			return nil, invalidf("module's start section did not finish within %s when the module was linked; a WASI command must do its work in _start, not in a start section", linkTimeout)
		}
		return nil, invalidf("module cannot be instantiated: %s", err)
	}
	mod.Close(ctx)
	return compiled, nil
}

func checkImports(rt *runtime, compiled wazero.CompiledModule) error {
	var problems []string
	for _, imp := range compiled.ImportedFunctions() {
		mod, name, _ := imp.Import()
		have, ok := rt.provided[mod+"."+name]
		if !ok {
			problems = append(problems, fmt.Sprintf("module imports %s.%s, which this node does not provide", mod, name))
			continue
		}
		if want, got := signature(have), signature(imp); want != got {
			problems = append(problems, fmt.Sprintf("module imports %s.%s with signature %s, but the node provides %s", mod, name, got, want))
		}
	}
	for _, imp := range compiled.ImportedMemories() {
		mod, name, _ := imp.Import()
		problems = append(problems, fmt.Sprintf("module imports memory %s.%s, which this node does not provide (modules must define their own memory)", mod, name))
	}
	if len(problems) == 0 {
		return nil
	}
	sort.Strings(problems)
	return invalidf("%s; Wisp provides only the WASI preview1 functions (wasi_snapshot_preview1.*): rebuild for wasm32-wasi / wasip1 without other host imports", strings.Join(problems, "; "))
}

func checkStart(compiled wazero.CompiledModule) error {
	start, ok := compiled.ExportedFunctions()["_start"]
	if !ok {
		return invalidf("module has no exported _start function: Wisp runs WASI command modules (a C/Rust/Go/TinyGo program with a main function built for wasm32-wasi / wasip1), not libraries or reactors")
	}
	if len(start.ParamTypes()) != 0 || len(start.ResultTypes()) != 0 {
		return invalidf("module exports _start with signature %s; a WASI command's _start takes and returns nothing", signature(start))
	}
	return nil
}

func signature(f api.FunctionDefinition) string {
	names := func(ts []api.ValueType) string {
		s := make([]string, len(ts))
		for i, t := range ts {
			s[i] = api.ValueTypeName(t)
		}
		return "(" + strings.Join(s, ",") + ")"
	}
	return names(f.ParamTypes()) + " -> " + names(f.ResultTypes())
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

// Close releases this reference. The native code is released with the last
// one; instances still running keep working until they finish.
func (m *Module) Close(ctx context.Context) error {
	m.e.mu.Lock()
	defer m.e.mu.Unlock()
	m.refs--
	if m.refs > 0 {
		return nil
	}
	delete(m.e.modules, m.key)
	if m.e.closed {
		return nil // the runtime's Close released it
	}
	return m.compiled.Close(ctx)
}
