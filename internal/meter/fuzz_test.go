package meter_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/wisphq/wisp/internal/meter"
	"github.com/wisphq/wisp/internal/wasmscan"
)

// FuzzInstrument mutates valid modules (this package's testdata and the
// repository's small modules): whenever wazero accepts the input, the
// instrumenter must rewrite it (unless it uses a reserved name) into a
// module wazero accepts too; whenever wazero refuses the input, it must
// refuse the rewritten module too (the engine hands wazero only that one:
// an invalid module naming the index of the added fuel counter became a
// valid one that set its own fuel). It never panics on any input.
func FuzzInstrument(f *testing.F) {
	for _, path := range repoModules(f) {
		wasm, err := os.ReadFile(path)
		if err == nil && len(wasm) < 64<<10 {
			f.Add(wasm)
		}
	}
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter().
		WithCoreFeatures(api.CoreFeaturesV2).WithMemoryLimitPages(16))
	f.Cleanup(func() { rt.Close(ctx) })
	f.Fuzz(func(t *testing.T, wasm []byte) {
		out, ierr := meter.Instrument(wasm) // must not panic, whatever wasm is
		// wazero trusts sizes a module declares; the engine scans first.
		if _, err := wasmscan.Scan(wasm, wasmscan.DefaultLimits); err != nil {
			return
		}
		if !accepts(ctx, rt, wasm) {
			if ierr == nil && accepts(ctx, rt, out) {
				t.Fatal("wazero refuses the module but accepts its instrumented form")
			}
			return
		}
		if errors.Is(ierr, meter.ErrReserved) {
			return
		}
		if ierr != nil {
			t.Fatalf("wazero accepts the module but the instrumenter does not: %v", ierr)
		}
		c, err := rt.CompileModule(ctx, out)
		if err != nil {
			t.Fatalf("wazero accepts the module but not its instrumented form: %v", err)
		}
		c.Close(ctx)
	})
}

// accepts reports whether wazero compiles wasm. wazero v1.12 panics on
// some invalid modules (an index out of range in its validation); that is
// a refusal here.
func accepts(ctx context.Context, rt wazero.Runtime, wasm []byte) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	c, err := rt.CompileModule(ctx, wasm)
	if err != nil {
		return false
	}
	c.Close(ctx)
	return true
}
