package engine

import (
	"context"
	"errors"
	"io"
	"os"
	"testing"

	"github.com/wisphq/wisp/internal/component/wasi"
)

// growReport is what testdata/reserve/grow.wasm reports of a run: the
// first grow's result, memory.size after it, the word it read in the
// page it got, the second grow's result, memory.size after it, and the
// last word of the first page the second grow added (0 if none).
type growReport [6]int32

// growArgs are a run's answers to grow.wasm's questions, and its report.
type growArgs struct {
	n, mode uint32
	report  *growReport
}

type growKey struct{}

// compileGrow compiles grow.wasm as a one-step component graph; with entry,
// its run function is probed for a memory reserve at compile.
func compileGrow(t *testing.T, e *Engine, entry bool) *Component {
	t.Helper()
	wasm, err := os.ReadFile("testdata/reserve/grow.wasm")
	if err != nil {
		t.Fatal(err)
	}
	arg := func(ctx context.Context) *growArgs {
		a, _ := ctx.Value(growKey{}).(*growArgs)
		return a
	}
	spec := ComponentSpec{Steps: [][]byte{wasm}, Host: []ComponentHostFunc{
		{Results: []ValueType{I32}, Fn: func(ctx context.Context, s []uint64) error { s[0] = uint64(arg(ctx).n); return nil }},
		{Results: []ValueType{I32}, Fn: func(ctx context.Context, s []uint64) error { s[0] = uint64(arg(ctx).mode); return nil }},
		{Params: []ValueType{I32, I32, I32, I32, I32, I32}, Fn: func(ctx context.Context, s []uint64) error {
			r := arg(ctx).report
			for i := range r {
				r[i] = int32(uint32(s[i]))
			}
			return nil
		}},
	}}
	if entry {
		spec.Entry = &ComponentEntry{Step: 0, Name: "run"}
	}
	c, err := e.CompileComponent(context.Background(), spec, 1<<20) // 16 pages
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// runGrow runs grow.wasm once on a graph of c.
func runGrow(c *Component, n, mode uint32) (growReport, error) {
	var r growReport
	ctx := context.WithValue(context.Background(), growKey{}, &growArgs{n: n, mode: mode, report: &r})
	g, err := c.Instantiate(ctx)
	if err != nil {
		return r, err
	}
	defer g.Close(ctx)
	_, err = g.Call(ctx, 0, "run")
	return r, err
}

// TestComponentReserve: a graph whose runs grow the memory gets a reserve
// of what its entry grew before its first host call; every run sees the
// memory as it would without one (memory.size, grow results, zeroed
// pages), runs the reserve covers leave their graph to be reused, and a
// run that grows past it, or differently, grows the memory for real and
// its graph is not reused.
func TestComponentReserve(t *testing.T) {
	e := newEngine(t, "")
	reserved := compileGrow(t, e, true)
	plain := compileGrow(t, e, false)
	if reserved.reserve != 1 || reserved.pool == nil {
		t.Fatalf("reserve %d pages (pool %v), want 1 page learned from the entry", reserved.reserve, reserved.pool != nil)
	}
	if plain.reserve != 0 {
		t.Fatalf("reserve %d pages without an entry, want none", plain.reserve)
	}

	t.Run("every run sees what it would without a reserve", func(t *testing.T) {
		// A one-page memory, grown by 1 (covered), then by n; 70000
		// pages is past the 16-page limit: -1 with or without.
		for _, n := range []uint32{0, 1, 3, 0, 13, 70000, 0} {
			got, gerr := runGrow(reserved, n, 0)
			want, werr := runGrow(plain, n, 0)
			if gerr != nil || werr != nil {
				t.Fatalf("n=%d: errors %v, %v", n, gerr, werr)
			}
			if got != want {
				t.Fatalf("n=%d: with a reserve the run saw %v, without %v", n, got, want)
			}
			g2, s2 := int32(2), int32(2+n)
			if 2+n > 16 {
				g2, s2 = -1, 2
			}
			if w := (growReport{1, 2, 0, g2, s2, 0}); got != w {
				t.Fatalf("n=%d: saw %v, want %v", n, got, w)
			}
		}
		// The one difference: the control page counts toward the limit,
		// so the memory reaches it one page sooner.
		got, gerr := runGrow(reserved, 14, 0)
		want, werr := runGrow(plain, 14, 0)
		if gerr != nil || werr != nil || got[3] != -1 || want[4] != 16 {
			t.Fatalf("n=14: with a reserve %v (%v), without %v (%v); want -1 with, the 16-page limit without", got, gerr, want, werr)
		}
	})

	t.Run("graphs are reused unless the run grew past the reserve", func(t *testing.T) {
		c := compileGrow(t, e, true)
		before := e.Stats().Reused
		for i, n := range []uint32{0, 0, 0, 3, 0, 0} {
			if _, err := runGrow(c, n, 0); err != nil {
				t.Fatalf("run %d: %v", i, err)
			}
		}
		// Runs 2, 3 and 4 reuse run 1's graph; run 4 grows for real, so
		// run 5 builds a graph, which run 6 reuses.
		if f, r := c.pool.fresh.Load(), c.pool.reused.Load(); f != 2 || r != 4 {
			t.Fatalf("%d fresh and %d reused graphs, want 2 and 4", f, r)
		}
		if d := e.Stats().Reused - before; d != 4 {
			t.Fatalf("engine counted %d reused runs, want 4", d)
		}
		p := compileGrow(t, e, false)
		for range 3 {
			if _, err := runGrow(p, 0, 0); err != nil {
				t.Fatal(err)
			}
		}
		if r := p.pool.reused.Load(); r != 0 {
			t.Fatalf("without a reserve %d graphs were reused; every run grows, so none can be", r)
		}
	})

	t.Run("no run sees another's writes or its control word", func(t *testing.T) {
		c := compileGrow(t, e, true)
		clean, err := runGrow(c, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		// Every run writes a secret into the page the reserve served
		// (read back as 0 by the next), mode 1 overwrites the control
		// word out of bounds, mode 2 traps after its writes.
		for i, mode := range []uint32{0, 1, 0, 2, 0, 1, 1, 0} {
			got, err := runGrow(c, 0, mode)
			var trap *TrapError
			if mode == 2 {
				if !errors.As(err, &trap) {
					t.Fatalf("run %d: %v, want a trap", i, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("run %d (mode %d): %v", i, mode, err)
			}
			if got != clean {
				t.Fatalf("run %d (mode %d) saw %v, the first run %v", i, mode, got, clean)
			}
		}
		if c.pool.reused.Load() < 5 {
			t.Fatalf("%d runs on reused graphs; the test must exercise them", c.pool.reused.Load())
		}
	})
}

// TestReservedGraphIsMeteredAlike: the reserve's memory.size and
// memory.grow are added after metering and charge nothing themselves, so
// a wrapped command's run uses the same fuel on a fresh graph as on a
// reused one.
func TestReservedGraphIsMeteredAlike(t *testing.T) {
	e := newEngine(t, "")
	tc := compileComponent(t, e, "counter")
	var fuel []int64
	for range 4 {
		var u Usage
		ctx, meter := StartMeter(context.Background(), 0, &u)
		if err := tc.runCommand(ctx, &wasi.State{Args: []string{"counter"}, Stdout: io.Discard}); err != nil {
			t.Fatal(err)
		}
		meter.Finish(nil)
		fuel = append(fuel, u.Fuel)
	}
	for _, f := range fuel {
		if f <= 0 || f != fuel[0] {
			t.Fatalf("runs used %v fuel; want the same each time", fuel)
		}
	}
	if r := tc.c.pool.reused.Load(); r != 3 {
		t.Fatalf("%d runs on a reused graph, want 3", r)
	}
}
