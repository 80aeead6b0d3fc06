package plugin_test

import (
	"context"
	"os"
	"testing"

	"github.com/wisphq/wisp/plugin"
)

// BenchmarkCall is a tiny plugin's call (bench/plugins/tiny.wat) through a
// fresh instance and through one reused; bench/plugins compares it with
// the Extism Go SDK and bare wazero.
func BenchmarkCall(b *testing.B) {
	wasm, err := os.ReadFile("../bench/plugins/tiny.wasm")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	p, err := plugin.Load(ctx, wasm, plugin.Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close(ctx)
	in := []byte(`{"event":"payment","amount":120,"currency":"EUR","note":"ok!"}`)
	b.Run("fresh", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.Call(ctx, "evaluate", in); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("reuse", func(b *testing.B) {
		inst, err := p.NewInstance(ctx)
		if err != nil {
			b.Fatal(err)
		}
		defer inst.Close(ctx)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := inst.Call(ctx, "evaluate", in); err != nil {
				b.Fatal(err)
			}
		}
	})
}
