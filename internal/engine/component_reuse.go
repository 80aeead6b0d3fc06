package engine

import (
	"context"
	"fmt"

	"github.com/tetratelabs/wazero/api"

	"github.com/wisphq/wisp/internal/meter"
	"github.com/wisphq/wisp/internal/wasmscan"
)

// A snapshotted component's graphs are reused across runs, as a reactor's
// instances are (reuse.go), when that is indistinguishable from a fresh
// graph. Instantiating a graph rebuilds every step's tables from its
// element segments and allocates its instances; for a 13 MB JavaScript
// component that is most of the engine's share of a request (see
// docs/benchmarks.md). A graph is reused when:
//
//   - the component was snapshotted (component_snapshot.go): every run
//     starts from recorded memory and globals, and no start function runs
//     per graph;
//   - no step has an instruction that can change a table or drop a data
//     segment (wasmscan.Summary), so the tables, filled by instantiation
//     from the steps' element segments (the fixup step's into the shim's
//     table included), are what a fresh graph's would be;
//   - the run's every call returned normally and its context is alive:
//     a trap, an exit (wasi:cli/exit, even with ok), a kill at the
//     deadline, a closed engine discard the graph;
//   - the main memory has not grown: it is then reset to the image
//     (mapped again, or zeroed with the image's chunks copied back),
//     every step's mutable globals to their snapshot values, exported for
//     this by preinit.Instrument, and every instance's fuel counter to
//     zero (meter.go), so no run spends fuel another was granted. A
//     memory reserve (component_reserve.go) lets a run whose growth it
//     covers, a wrapped preview 1 command's, end with its memory
//     ungrown.
//
// A graph has no host-side state of its own: its steps import only the
// component's host functions and each other, and the run's state (WASI
// 0.2 streams, resource tables, the canonical ABI's flags) lives in the
// caller's per-run values, created anew for every run. Idle graphs are
// bounded, expire and are released as a reactor's instances are;
// Component.Close releases them.

// reusableSteps reports whether no step of a snapshotted graph can change
// a table or drop a data segment.
func reusableSteps(steps [][]byte) bool {
	for _, wasm := range steps {
		s, err := wasmscan.Scan(wasm, wasmscan.DefaultLimits)
		if err != nil || s.ChangesTables || s.DropsData {
			return false
		}
	}
	return true
}

// reusedGraph returns an idle graph, or instantiates one and records its
// globals for resetting.
func (c *Component) reusedGraph(ctx context.Context) (*ComponentInstance, error) {
	if gr, ok := c.pool.get(); ok {
		gr.alloc.(resettableMemory).resume()
		c.pool.reused.Add(1)
		c.e.reused.Add(1)
		return &ComponentInstance{gr}, nil
	}
	g, err := c.instantiate(ctx, c.compiled, true)
	if err != nil {
		return nil, err
	}
	if _, ok := g.alloc.(resettableMemory); !ok {
		g.Close(ctx)
		return nil, fmt.Errorf("component graph: memory of type %T cannot be reset", g.alloc)
	}
	for _, m := range g.inst {
		mg, ok := m.ExportedGlobal(meter.FuelExport).(api.MutableGlobal)
		if !ok {
			g.failed = true
			g.Close(ctx)
			return nil, fmt.Errorf("component graph: a core instance exports no mutable %s", meter.FuelExport)
		}
		g.counters = append(g.counters, mg)
	}
	for k, gs := range c.globals {
		for _, gl := range gs {
			mg, ok := g.inst[k].ExportedGlobal(gl.Export).(api.MutableGlobal)
			if !ok {
				g.failed = true // not reused: discarded by Close
				g.Close(ctx)
				return nil, fmt.Errorf("component graph: step %d does not export its global %d as mutable", k, gl.Index)
			}
			g.globals = append(g.globals, mg)
			g.initial = append(g.initial, mg.Get())
		}
	}
	c.pool.fresh.Add(1)
	return g, nil
}

// reset returns the graph to its snapshot state, reporting false when it
// cannot be (its memory grew, or an instance was closed under it). The
// fuel counters are zeroed after what the run spent is counted in ctx's
// account, if any (resetMeterIn).
func (gr *graph) reset(ctx context.Context) bool {
	mem, ok := gr.alloc.(resettableMemory)
	if !ok {
		return false
	}
	for _, m := range gr.inst {
		if m.IsClosed() {
			return false
		}
	}
	// The fuel the run spent is counted before anything is reset: the
	// counters are among the globals restored below.
	for i, g := range gr.counters {
		resetMeterIn(ctx, gr.inst[i], g) // the next run's fuel account starts from zero (meter.go)
	}
	if !mem.reset() {
		return false
	}
	for i, g := range gr.globals {
		g.Set(gr.initial[i])
	}
	return true
}
