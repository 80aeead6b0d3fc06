package engine

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"

	"github.com/wisphq/wisp/internal/meter"
)

// BenchmarkCPUGuest runs the CPU-heavy guest (bench/guests/sha256-c:
// SHA-256 of 16 KiB and a JSON answer) once per op, a fresh instance each
// time, five ways:
//
//   - wisp: the engine's Run, metered (what a node does);
//   - wazero: bare wazero, no interruption at all (the floor);
//   - wazero-close-on-done: bare wazero with WithCloseOnContextDone, the
//     interruption Wisp used before metering;
//   - wazero-metered: bare wazero running the instrumented module with a
//     refuel that only refills: the cost of metering alone against
//     "wazero";
//
// and reports the fuel one request uses (fuel/op) and the guest time one
// fuel took (ns/fuel, the figure FuelPerMillisecond is chosen from).
func BenchmarkCPUGuest(b *testing.B) {
	wasm, err := os.ReadFile(filepath.Join("..", "..", "bench", "guests", "sha256-c", "sha256.wasm"))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	check := func(b *testing.B, out []byte) {
		if !bytes.Contains(out, []byte(`"sha256":"9038ac64e659335ccbfdd3f684f35a26a2c9e580d9af6b4807af3adbe2c257e3"`)) {
			b.Fatalf("wrong answer: %q", out)
		}
	}

	b.Run("wisp", func(b *testing.B) {
		e := newEngine(b, "")
		m, err := e.Compile(ctx, wasm, 128<<20)
		if err != nil {
			b.Fatal(err)
		}
		p := mustPrepare(b, m, nil, nil)
		var out bytes.Buffer
		var u Usage
		b.ResetTimer()
		for range b.N {
			out.Reset()
			if err := p.Run(ctx, Call{Args: []string{"/x"}, Stdout: &out, CPU: benchCPU, Usage: &u}); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		check(b, out.Bytes())
		b.ReportMetric(float64(u.Fuel), "fuel/op")
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(u.Fuel), "ns/fuel")
	})

	bare := func(b *testing.B, closeOnDone, metered bool) {
		rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().
			WithCoreFeatures(api.CoreFeaturesV2).WithCloseOnContextDone(closeOnDone))
		defer rt.Close(ctx)
		wasi_snapshot_preview1.MustInstantiate(ctx, rt)
		src := wasm
		if metered {
			if src, err = meter.Instrument(wasm); err != nil {
				b.Fatal(err)
			}
			refill := func(_ context.Context, mod api.Module, _ []uint64) {
				mod.ExportedGlobal(meter.FuelExport).(api.MutableGlobal).Set(refuelQuantum)
			}
			if _, err := rt.NewHostModuleBuilder(meter.ImportModule).NewFunctionBuilder().
				WithGoModuleFunction(api.GoModuleFunc(refill), nil, nil).Export(meter.ImportName).
				Instantiate(ctx); err != nil {
				b.Fatal(err)
			}
		}
		compiled, err := rt.CompileModule(ctx, src)
		if err != nil {
			b.Fatal(err)
		}
		var out bytes.Buffer
		cfg := wazero.NewModuleConfig().WithName("").WithArgs("/x").WithStdout(&out).WithStderr(io.Discard)
		b.ResetTimer()
		for range b.N {
			out.Reset()
			mod, err := rt.InstantiateModule(ctx, compiled, cfg)
			if exit, ok := err.(*sys.ExitError); err != nil && (!ok || exit.ExitCode() != 0) {
				b.Fatal(err)
			}
			if mod != nil {
				mod.Close(ctx)
			}
		}
		b.StopTimer()
		check(b, out.Bytes())
	}
	b.Run("wazero", func(b *testing.B) { bare(b, false, false) })
	b.Run("wazero-close-on-done", func(b *testing.B) { bare(b, true, false) })
	b.Run("wazero-metered", func(b *testing.B) { bare(b, false, true) })
}

// benchCPU is the CPU budget the benchmark's Wisp runs get, the default
// limits.cpu, so the budget checks are part of what is measured.
const benchCPU = 10 * time.Second
