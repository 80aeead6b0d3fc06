package engine

import (
	"context"
	"os"
	"testing"

	"github.com/wisphq/wisp/internal/component/binary"
	"github.com/wisphq/wisp/internal/component/plan"
)

// TestReusedGraphIsMeteredAfresh: a reused graph's fuel counters are
// among the globals its reset restores, so the fuel its run spent must be
// counted before the reset: a run's fuel is the same whether its account
// is finished before the graph is closed (and reset) or after, on a fresh
// graph or a reused one. The graph is the JavaScript hello component's
// (examples/hello-js), whose graphs are reused; the run calls its
// allocator (cabi_realloc) in its memory's step.
func TestReusedGraphIsMeteredAfresh(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a 13 MB JavaScript component")
	}
	b, err := os.ReadFile("../../examples/hello-js/hello.wasm")
	if err != nil {
		t.Fatal(err)
	}
	dc, err := binary.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Build(dc)
	if err != nil {
		t.Fatal(err)
	}
	spec := ComponentSpec{}
	for _, s := range p.Steps {
		spec.Steps = append(spec.Steps, s.Wasm)
	}
	for _, h := range p.Host {
		spec.Host = append(spec.Host, ComponentHostFunc{Params: valueTypesOf(h.Core.Params), Results: valueTypesOf(h.Core.Results),
			Fn: func(context.Context, []uint64) error { t.Error("a host function was called"); return nil }})
	}
	e := newEngine(t, "")
	c, err := e.CompileComponent(context.Background(), spec, 256<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	if c.pool == nil {
		t.Fatal("hello-js's graphs are not reused")
	}
	var fuel []int64
	for i := range 4 {
		var u Usage
		ctx, meter := StartMeter(context.Background(), 0, &u)
		g, err := c.Instantiate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := g.Call(ctx, c.memStep, "cabi_realloc", 0, 0, 8, 64); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			g.Close(ctx)
			meter.Finish(nil)
		} else {
			meter.Finish(nil)
			g.Close(ctx)
		}
		fuel = append(fuel, u.Fuel)
	}
	for _, f := range fuel {
		if f <= 0 || f != fuel[0] {
			t.Fatalf("runs used %v fuel; want the same each time", fuel)
		}
	}
	if c.pool.reused.Load() < 3 {
		t.Fatalf("%d runs on a reused graph; want 3", c.pool.reused.Load())
	}
}
