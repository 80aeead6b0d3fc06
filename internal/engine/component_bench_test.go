package engine

import (
	"context"
	"io"
	"testing"

	"github.com/wisphq/wisp/internal/component/wasi"
)

// BenchmarkComponentRun is one run of a command, end to end (instantiate,
// call, close), as a bare module through Prepared.Run and as the
// jco-wrapped component through the plan, canon and wasi.
func BenchmarkComponentRun(b *testing.B) {
	e := newEngine(b, "")
	env := []string{"A=1", "GREETING=hello world"}
	for _, name := range []string{"counter", "printenv"} {
		b.Run(name+"/module", func(b *testing.B) {
			p := mustPrepare(b, compile(b, e, name+".wasm", 64<<20), nil, nil)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if err := p.Run(ctx, Call{Args: []string{name}, Env: env, Stdout: io.Discard}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/component", func(b *testing.B) {
			tc := compileComponent(b, e, name)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if err := tc.runCommand(ctx, &wasi.State{Env: env, Args: []string{name}, Stdout: io.Discard}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
