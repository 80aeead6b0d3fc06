package engine

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/tetratelabs/wazero"

	"github.com/wisphq/wisp/internal/preinit"
)

// A reused graph must end its run with its main memory at the snapshot's
// size (a wazero memory cannot shrink). The preview 1 adapter jco wraps a
// command with allocates its state on its first call of every run with
// memory.grow (one page: wit-component's realloc by memory.grow, when the
// main module exports no cabi_realloc), and the snapshot resets its state
// pointer, so every run grew and no graph was reused. A memory reserve
// (preinit.Reserve) makes such a run need no growth, and every run start
// alike:
//
//   - at compile, after the snapshot, the entry (ComponentSpec.Entry, the
//     function a run calls first) is probed: called on a second graph
//     started from the snapshot, with zero arguments, until it returns,
//     traps or calls a host function (which fails it, as in a start
//     function). The pages it grew the memory by are the reserve, R, if
//     0 < R <= maxReservePages and the memory limit leaves room;
//   - every step is rewritten by preinit.Reserve, and the snapshot's
//     memory gets R zero pages and a control page holding R: memory.size
//     and memory.grow see the memory as it would be without them, and a
//     growth the reserve covers is served from it, with no real growth;
//   - this is the compiled component: fresh graphs and reused ones are
//     graphs of the same rewritten steps, starting from the same image
//     (the control word is in it), so a reused graph is a fresh one. The
//     control word is memory, reset with it; a run that grows past the
//     reserve grows the memory for real and its graph is discarded, as
//     before.
//
// What the reserve changes for a guest is only beyond its memory.size: an
// access there does not trap (it reads the run's own zero pages), and the
// memory can grow to one page less than the limit (the control page counts
// toward it). The probe only sizes the reserve: any size is correct.

// ComponentEntry names the function a component's run calls first: step
// Step's export Name.
type ComponentEntry struct {
	Step int
	Name string
}

// maxReservePages bounds a component memory's reserve (16 MiB): the image
// with it is made at compile, and every graph's memory is that large.
const maxReservePages = 256

// probeTimeout bounds the entry's probe at compile.
const probeTimeout = 2 * time.Second

// probeGrowth returns the pages the memory grows by when entry is called
// on a graph of instrumented started from scratch (its start functions
// run again, with no host), from size bytes after them, or 0.
func (c *Component) probeGrowth(ctx context.Context, instrumented []wazero.CompiledModule, entry *ComponentEntry, size uint64) uint32 {
	if entry == nil || entry.Step < 0 || entry.Step >= len(instrumented) {
		return 0
	}
	pctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	c.snapshotting = true
	defer func() { c.snapshotting = false }()
	g, err := c.instantiate(pctx, instrumented, false)
	if err != nil {
		return 0
	}
	defer g.Close(ctx)
	mem := g.inst[c.memStep].Memory()
	if mem == nil || uint64(mem.Size()) != size {
		return 0 // the start functions did not end where the snapshot's did
	}
	f := g.inst[entry.Step].ExportedFunction(entry.Name)
	if f == nil {
		return 0
	}
	g.failed = true // never pooled
	_, _ = f.Call(pctx, make([]uint64, len(f.Definition().ParamTypes()))...)
	grown := uint64(mem.Size())
	if grown <= size || grown%pageSize != 0 {
		return 0
	}
	return uint32((grown - size) / pageSize)
}

// reserveFits reports whether pages of memory (the snapshot's) with a
// reserve of r pages and the control page stay within the limit.
func (c *Component) reserveFits(pages uint64, r uint32) bool {
	return r > 0 && r <= maxReservePages && pages+uint64(r)+1 <= c.limit/pageSize
}

// reservedImage returns the snapshot's memory with r zero pages and the
// control page added, the control word holding r.
func reservedImage(data []byte, r uint32) []byte {
	out := make([]byte, len(data)+(int(r)+1)*pageSize)
	copy(out, data)
	binary.LittleEndian.PutUint32(out[len(out)-4:], r)
	return out
}

// rewriteSteps returns the snapshot's steps: started from its globals
// (values) and its memory of pages pages, with a reserve of r pages if r
// > 0 (preinit.Reserve).
func (c *Component) rewriteSteps(steps [][]byte, values []map[uint32]uint64, pages uint64, r uint32) ([][]byte, error) {
	out := make([][]byte, len(steps))
	for k, wasm := range steps {
		var rw []byte
		var err error
		if k == c.memStep {
			if r > 0 {
				if wasm, err = preinit.Reserve(wasm); err != nil {
					return nil, fmt.Errorf("reserve memory in step %d: %w", k, err)
				}
				pages += uint64(r) + 1
			}
			rw, err = preinit.Apply(wasm, preinit.Snapshot{Globals: values[k], MemoryPages: uint32(pages)})
		} else {
			var imported uint32
			if imported, err = importedGlobalCount(wasm); err == nil {
				rw, err = rewriteStepForSnapshot(wasm, imported, values[k])
			}
			if err == nil && r > 0 {
				if rw, err = preinit.Reserve(rw); err != nil {
					err = fmt.Errorf("reserve memory: %w", err)
				}
			}
		}
		if err != nil {
			return nil, fmt.Errorf("rewrite step %d: %w", k, err)
		}
		out[k] = rw
	}
	return out, nil
}
