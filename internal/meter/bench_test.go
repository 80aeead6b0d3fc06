package meter_test

import (
	"context"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// BenchmarkLoop runs loops.wasm's sum(100000), a tight loop, plain and
// instrumented, with and without wazero's WithCloseOnContextDone: the
// cost of metering against the cost of wazero's interruption.
func BenchmarkLoop(b *testing.B) {
	for _, c := range []struct {
		name           string
		metered, close bool
	}{
		{"plain", false, false},
		{"plain-close-on-done", false, true},
		{"metered", true, false},
	} {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().
				WithCoreFeatures(api.CoreFeaturesV2).WithCloseOnContextDone(c.close))
			defer rt.Close(ctx)
			rt.NewHostModuleBuilder("wasi_snapshot_preview1").
				NewFunctionBuilder().WithFunc(func() int32 { return 0 }).Export("sched_yield").
				Instantiate(ctx)
			var mod api.Module
			if c.metered {
				mod = instantiate(b, rt, read(b, "loops.wasm"), &meterHost{quantum: 100_000})
			} else {
				var err error
				if mod, err = rt.InstantiateWithConfig(ctx, read(b, "loops.wasm"), wazero.NewModuleConfig()); err != nil {
					b.Fatal(err)
				}
			}
			sum := mod.ExportedFunction("sum")
			b.ResetTimer()
			for range b.N {
				if _, err := sum.Call(ctx, 100000); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
