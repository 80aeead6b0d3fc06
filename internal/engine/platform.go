package engine

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// How wazero runs WebAssembly, as Mode reports it.
const (
	// ModeCompiler: modules are compiled to native code ahead of time.
	ModeCompiler = "compiler"
	// ModeInterpreter: modules are interpreted, many times slower.
	ModeInterpreter = "interpreter"
)

// probeModule is (module (func (export "f"))): one empty function, so the
// compiler has code to write.
const probeModule = "\x00asm\x01\x00\x00\x00" + // magic, version 1
	"\x01\x04\x01\x60\x00\x00" + // type section: () -> ()
	"\x03\x02\x01\x00" + // function section: one function of type 0
	"\x07\x05\x01\x01f\x00\x00" + // export section: "f" is function 0
	"\x0a\x04\x01\x02\x00\x0b" // code section: no locals, end

// Mode reports whether wazero runs WebAssembly with its compiler
// (ModeCompiler) or its interpreter (ModeInterpreter) on this machine,
// with the runtime configuration the Engine uses. wazero picks the
// compiler on amd64 with SSE4.1 and on arm64, under Linux, macOS, Windows
// and the BSDs, when executable memory can be mapped; it has no public
// API saying which it picked, so Mode finds out the way that cannot
// disagree with it: it compiles a minimal module with a compilation cache
// in a new temporary directory, which only the compiler writes native
// code to, and removes the directory. That takes a few milliseconds.
// Errors: the temporary directory cannot be created or read, or the
// module does not compile.
func Mode(ctx context.Context) (string, error) {
	return modeOf(ctx, wazero.NewRuntimeConfig().WithCoreFeatures(api.CoreFeaturesV2)) // as runtimeFor's
}

// modeOf is Mode for a runtime configuration.
func modeOf(ctx context.Context, cfg wazero.RuntimeConfig) (string, error) {
	dir, err := os.MkdirTemp("", "wisp-engine-mode-")
	if err != nil {
		return "", fmt.Errorf("engine mode: %w", err)
	}
	defer os.RemoveAll(dir)
	cache, err := wazero.NewCompilationCacheWithDir(dir)
	if err != nil {
		return "", fmt.Errorf("engine mode: %w", err)
	}
	defer cache.Close(ctx)
	rt := wazero.NewRuntimeWithConfig(ctx, cfg.WithCompilationCache(cache))
	defer rt.Close(ctx)
	if _, err := rt.CompileModule(ctx, []byte(probeModule)); err != nil {
		return "", fmt.Errorf("engine mode: compile a probe module: %w", err)
	}
	compiled := false
	err = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			compiled = true
			return filepath.SkipAll
		}
		return err
	})
	if err != nil {
		return "", fmt.Errorf("engine mode: read the compilation cache: %w", err)
	}
	if compiled {
		return ModeCompiler, nil
	}
	return ModeInterpreter, nil
}
