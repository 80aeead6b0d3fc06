package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/experimental"

	"github.com/wisphq/wisp/internal/preinit"
	"github.com/wisphq/wisp/internal/wasmbin"
)

// A component graph is snapshotted at compile (docs/components.md section
// 9): its start functions (the preview 1 adapter's allocate_stack grows the
// main memory and sets the adapter's globals) run once, with no run and no
// host function, and every step's mutable globals and the main memory are
// recorded. Each step is then rewritten to start in that state (globals'
// initial values, no start section; the memory-defining step also with its
// data segments emptied and its memory at the recorded size, by
// preinit.Apply), and every run's main memory starts as the recorded image,
// mapped copy-on-write where the platform allows (memimage.go). A run's
// writes land in its private copy: the next run starts from the image again.
//
// A graph is run as compiled, its start functions per run, when it cannot
// be snapshotted: a start function calls a host function (there is no run
// to serve it at compile), a step other than the memory's has data
// segments, more than one step defines a memory (exported or not: only the
// main memory is recorded and reset, so a private one would carry a run's
// data into the next on a reused graph), or a global is not a
// number.

// errSnapshotHostCall fails a host function called by a start function
// while the graph is snapshotted.
var errSnapshotHostCall = errors.New("component start function called a host function: the graph is not snapshotted")

// snapshot replaces c's compiled steps (steps, their metered forms) by
// snapshotted ones and sets c.image, or leaves c as it is and says why
// not. plain are the steps as the plan gave them, before metering; entry,
// if not nil, is probed for a memory reserve (component_reserve.go).
func (c *Component) snapshot(ctx context.Context, steps, plain [][]byte, entry *ComponentEntry) error {
	if c.memStep < 0 {
		return errors.New("no step defines a memory")
	}
	instrumented := make([]wazero.CompiledModule, 0, len(steps))
	defer func() {
		for _, cm := range instrumented {
			cm.Close(ctx)
		}
	}()
	globals := make([][]preinit.Global, len(steps))
	for k, wasm := range steps {
		// Only the main memory is recorded and reset: a step with a
		// memory of its own, exported or not (a private one would carry
		// one run's data into the next on a reused graph), or a main step
		// with a second one, is not snapshotted.
		defined, err := definedMemories(wasm)
		if err != nil {
			return fmt.Errorf("step %d cannot be read: %w", k, err)
		}
		if k == c.memStep && defined != 1 {
			return fmt.Errorf("step %d defines %d memories", k, defined)
		}
		if k != c.memStep {
			if defined > 0 {
				return fmt.Errorf("step %d defines a memory of its own beside step %d's", k, c.memStep)
			}
			if has, err := hasDataSegments(wasm); err != nil || has {
				return fmt.Errorf("step %d has data segments or cannot be read: %v", k, err)
			}
		}
		iw, gs, err := preinit.Instrument(wasm)
		if err != nil {
			return fmt.Errorf("step %d: %w", k, err)
		}
		globals[k] = gs
		cm, err := c.rt.rt.CompileModule(ctx, iw)
		if err != nil {
			return fmt.Errorf("step %d: %w", k, err)
		}
		instrumented = append(instrumented, cm)
	}

	// The start functions run at deploy, with no call's deadline: bounded
	// as a reactor's initialization is (a start function that loops
	// forever would hold the deploy, and a core, for good).
	startCtx, cancel := context.WithTimeout(ctx, preinitTimeout)
	c.snapshotting = true
	g, err := c.instantiate(startCtx, instrumented, false)
	c.snapshotting = false
	cancel()
	if err != nil {
		if startCtx.Err() != nil && ctx.Err() == nil {
			return fmt.Errorf("the start functions did not finish within %s: %w", preinitTimeout, err)
		}
		return err
	}
	defer g.Close(ctx)
	for _, m := range g.inst {
		// Every run starts with its counters at zero (meter.go): the
		// fuel the start functions left is not recorded.
		ResetMeter(m)
	}
	values := make([]map[uint32]uint64, len(steps))
	for k, gs := range globals {
		values[k] = make(map[uint32]uint64, len(gs))
		for _, gl := range gs {
			eg := g.inst[k].ExportedGlobal(gl.Export)
			if eg == nil {
				return fmt.Errorf("step %d: global %d not exported", k, gl.Index)
			}
			values[k][gl.Index] = eg.Get()
		}
	}
	mem := g.inst[c.memStep].Memory()
	if mem == nil {
		return errors.New("the memory-defining step has no memory")
	}
	data, ok := mem.Read(0, mem.Size())
	if !ok {
		return errors.New("memory unreadable")
	}

	// Graphs are reused when no step can change a table or drop a data
	// segment (component_reuse.go); each step's mutable globals are then
	// exported, to be reset. The steps as the plan gave them are scanned:
	// neither metering nor the snapshot's rewrite adds such an
	// instruction, and the metered form of a large function can exceed
	// the pre-scan's compile-work cap, which the plain form is held to
	// (StarlingMonkey's largest function, at 99.5% of it, does). A graph
	// to be reused gets a memory reserve if its entry grows the memory
	// (component_reserve.go); a reserve the steps cannot take is dropped.
	reuse := reusableSteps(plain)
	pages := uint64(mem.Size()) / pageSize
	var reserve uint32
	if reuse {
		if r := c.probeGrowth(ctx, instrumented, entry, uint64(mem.Size())); c.reserveFits(pages, r) {
			reserve = r
		}
	}
	rewritten, exported, err := c.compileSnapshot(ctx, steps, values, pages, reserve, reuse)
	if err != nil && reserve > 0 {
		reserve = 0
		rewritten, exported, err = c.compileSnapshot(ctx, steps, values, pages, 0, reuse)
	}
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			for _, cm := range rewritten {
				cm.Close(ctx)
			}
		}
	}()
	if reserve > 0 {
		data = reservedImage(data, reserve)
	}
	// A reused graph's image is in the image file, however small, where
	// the platform allows: its reset reads back only the pages a run
	// wrote (mappedMemory.reset), where a small image's copied memory is
	// zeroed whole (sparseMemory.reset).
	if chunks, total := sparseChunks(data); total <= sparseImageLimit && !reuse {
		// data is the snapshot instance's memory, freed with it: copy.
		for i := range chunks {
			chunks[i].data = append([]byte(nil), chunks[i].data...)
		}
		c.sparse = chunks
	} else if c.image, err = newMemoryImage(&c.e.memory.regions, data); err != nil {
		return fmt.Errorf("store component memory snapshot: %w", err)
	}
	for _, cm := range c.compiled {
		cm.Close(ctx)
	}
	c.compiled, c.snapshotted, c.reserve, done = rewritten, true, reserve, true
	if reuse {
		c.globals = exported
		c.pool = &instancePool[*graph]{ttl: idleInstanceTTL}
	}
	return nil
}

// definedMemories returns how many memories a core module defines (its
// memory section's entries; imported ones not counted).
func definedMemories(wasm []byte) (uint32, error) {
	secs, err := wasmbin.Sections(wasm)
	if err != nil {
		return 0, err
	}
	for _, s := range secs {
		if s.ID == 5 {
			return (&wasmbin.Reader{B: s.Body}).U32()
		}
	}
	return 0, nil
}

// hasDataSegments reports whether wasm has a data section with segments.
func hasDataSegments(wasm []byte) (bool, error) {
	secs, err := wasmbin.Sections(wasm)
	if err != nil {
		return false, err
	}
	for _, s := range secs {
		if s.ID == 11 {
			n, err := (&wasmbin.Reader{B: s.Body}).U32()
			return n > 0, err
		}
	}
	return false, nil
}

// sparseImageLimit bounds the bytes of a component memory image kept as
// chunks copied into each run's pooled memory; a larger image is mapped
// copy-on-write. For a small image (a C command's: a page or two, mostly
// zero) copying its non-zero chunks is far cheaper than mapping, unmapping
// and faulting in pages.
const sparseImageLimit = 256 << 10

// imageChunk is a run of a memory image's bytes with a non-zero byte in
// every 4 KiB block.
type imageChunk struct {
	at   uint64
	data []byte
}

// sparseChunks returns data's non-zero 4 KiB blocks, merged into runs, and
// their total size.
func sparseChunks(data []byte) ([]imageChunk, int) {
	const block = 4 << 10
	var chunks []imageChunk
	total := 0
	for at := 0; at < len(data); at += block {
		b := data[at:min(at+block, len(data))]
		zero := true
		for _, c := range b {
			if c != 0 {
				zero = false
				break
			}
		}
		if zero {
			continue
		}
		total += len(b)
		if n := len(chunks); n > 0 && chunks[n-1].at+uint64(len(chunks[n-1].data)) == uint64(at) {
			chunks[n-1].data = data[chunks[n-1].at : at+len(b)]
			continue
		}
		chunks = append(chunks, imageChunk{at: uint64(at), data: b})
	}
	return chunks, total
}

// sparseMemory is a pooled zeroed memory with an image's chunks copied in.
type sparseMemory struct {
	mem    instanceMemory
	chunks []imageChunk
	copied bool   // wazero allocates and grows an instance's memory on one goroutine
	size   uint64 // the size first allocated, the image's
}

var _ resettableMemory = (*sparseMemory)(nil)

func (m *sparseMemory) Allocate(_, maxBytes uint64) experimental.LinearMemory {
	m.mem.max = maxBytes
	return wazeroView{m}
}

func (m *sparseMemory) Reallocate(size uint64) []byte {
	buf := m.mem.Reallocate(size)
	if !m.copied && buf != nil {
		m.copied, m.size = true, size
		for _, c := range m.chunks {
			copy(buf[c.at:], c.data)
		}
	}
	return buf
}

func (m *sparseMemory) Free() { m.mem.Free() }

func (m *sparseMemory) grown() uint64 { return m.mem.grown() }

// reset zeroes the memory and copies the image's chunks in again, unless
// it grew since it was first allocated (then it reports false).
func (m *sparseMemory) reset() bool {
	if m.mem.done.Load() || uint64(len(m.mem.buf)) != m.size {
		return false
	}
	clear(m.mem.buf)
	for _, c := range m.chunks {
		copy(m.mem.buf[c.at:], c.data)
	}
	return true
}

func (m *sparseMemory) resume() {}

// compileSnapshot rewrites the steps to start from the snapshot (globals
// values, memory of pages pages, reserve pages reserved) and compiles
// them; with reuse, every step's mutable globals are exported first.
func (c *Component) compileSnapshot(ctx context.Context, steps [][]byte, values []map[uint32]uint64, pages uint64, reserve uint32, reuse bool) ([]wazero.CompiledModule, [][]preinit.Global, error) {
	rewrittenWasm, err := c.rewriteSteps(steps, values, pages, reserve)
	if err != nil {
		return nil, nil, err
	}
	var exported [][]preinit.Global
	if reuse {
		exported = make([][]preinit.Global, len(steps))
		for k, rw := range rewrittenWasm {
			if rewrittenWasm[k], exported[k], err = preinit.Instrument(rw); err != nil {
				return nil, nil, fmt.Errorf("export the globals of step %d: %w", k, err)
			}
		}
	}
	compiled := make([]wazero.CompiledModule, 0, len(steps))
	for k, rw := range rewrittenWasm {
		cm, err := c.rt.rt.CompileModule(ctx, rw)
		if err != nil {
			for _, cm := range compiled {
				cm.Close(ctx)
			}
			return nil, nil, fmt.Errorf("compile rewritten step %d: %w", k, err)
		}
		compiled = append(compiled, cm)
	}
	return compiled, exported, nil
}
