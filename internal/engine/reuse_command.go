package engine

import (
	"context"
	"errors"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/sys"

	"github.com/wisphq/wisp/internal/preinit"
	"github.com/wisphq/wisp/internal/wasmscan"
)

// A command's instances are reused as a reactor's are (reuse.go), from the
// state instantiation leaves them in: before _start runs, an instance of a
// module without a start section has run no guest code, so that state is
// the same for every instance (data segments in zeroed memory, globals at
// their declared values, tables from the element segments) and is the
// "snapshot" a reused instance is reset to. Each request then calls _start
// on an instance in exactly the state a fresh one would have.
//
// A command qualifies when it has no start section (its code would run at
// instantiation, once for many requests), cannot change a table or drop a
// data segment (wasmscan), and every mutable global is a number (so it can
// be exported and reset: the module is compiled with them exported, see
// compiledForm). A run that exits through proc_exit, with any code, ends
// its instance: a command that always exits (Go's, Rust's) gains nothing
// and loses nothing; one whose _start returns (C's with wasi-libc, when
// main returns 0) is reused. Every other rule of reuse.go holds: a trap, a
// kill, a grown memory or a WASI call that leaves host-side state behind
// discards the instance. A command whose first exitsBeforeFresh runs all
// exit goes back to fresh instances for good (see commandEnded).

// reusableCommand reports whether a command's instances can be reused and
// returns the module with its mutable globals exported and those globals.
func reusableCommand(wasm []byte) (instrumented []byte, globals []preinit.Global, ok bool) {
	summary, err := wasmscan.Scan(wasm, wasmscan.DefaultLimits)
	if err != nil || summary.HasStartSection || summary.ChangesTables || summary.DropsData || summary.Memories != 1 {
		return nil, nil, false
	}
	instrumented, globals, err = preinit.Instrument(wasm)
	if err != nil {
		return nil, nil, false
	}
	return instrumented, globals, true
}

// commandSnapshot returns the snapshot a command's instances are reused
// from, or nil when they cannot be (then every run instantiates afresh, as
// before). It holds a reference on m. Its memory image is taken at the
// first run (commandImage), with the code that run pins: preparing loads
// nothing.
func (m *Module) commandSnapshot() *snapshot {
	original, err := m.source()
	if err != nil {
		return nil
	}
	_, globals, ok := reusableCommand(original)
	if !ok || !m.retain() {
		return nil
	}
	return &snapshot{module: m, reusable: true, globals: globals, entry: CommandEntry}
}

// commandImage returns the memory image of p's command snapshot, taking it
// from an instance of compiled, just instantiated, the first time.
func (p *Prepared) commandImage(ctx context.Context, compiled wazero.CompiledModule) (*memoryImage, error) {
	s := p.snap
	s.once.Do(func() {
		mem := &instanceMemory{pool: &p.m.e.memory}
		defer mem.Free() // after the instance is closed: see instanceMemory
		linkCtx, cancel := context.WithTimeout(ctx, linkTimeout)
		defer cancel()
		// No start section: instantiating runs no guest code.
		mod, err := p.m.rt.rt.InstantiateModule(withMemory(linkCtx, mem), compiled, p.withFS(p.base).WithStartFunctions())
		if err != nil {
			s.imageErr = err
			return
		}
		defer mod.Close(context.WithoutCancel(ctx))
		memory := mod.Memory()
		if memory == nil || memory.Size() == 0 {
			s.imageErr = errors.New("the command has no memory to reset")
			return
		}
		data, _ := memory.Read(0, memory.Size())
		s.image, s.imageErr = newMemoryImage(&p.m.e.memory.regions, data)
	})
	return s.image, s.imageErr
}

// exitsBeforeFresh is how many runs in a row a command may end through
// proc_exit, none of its instances ever reused, before its runs go back to
// fresh instances.
const exitsBeforeFresh = 8

// commandEnded notes how a command's run on a reusable instance ended
// (err from its _start, ctx its call's). A command that always exits (Go's does, after main returns)
// leaves no instance to reuse, and the reused path costs it more than a
// fresh instance: its memory, mapped from the image, takes a page fault
// for every page it writes, where a fresh instance's pooled region has
// them resident (0.4-0.6 ms per request for a Go command). After
// exitsBeforeFresh exits in a row with no instance ever reused, reuse is
// turned off for p, as when an instance for reuse cannot be made.
func (p *Prepared) commandEnded(ctx context.Context, err error) {
	if ctx.Err() != nil {
		return // killed: that says nothing about how the command ends
	}
	if err == nil {
		// The common end, on every request: no errors.As target to
		// allocate, and no write to the shared count unless it changes.
		if p.exits.Load() != 0 {
			p.exits.Store(0)
		}
		return
	}
	var exit *sys.ExitError
	if !errors.As(err, &exit) {
		p.exits.Store(0)
		return
	}
	if p.exits.Add(1) >= exitsBeforeFresh && p.pool.reused.Load() == 0 && !p.reuseOff.Swap(true) {
		p.pool.close()
	}
}
