package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"

	"github.com/wisphq/wisp/internal/preinit"
	"github.com/wisphq/wisp/internal/wasmscan"
)

// A reactor is pre-initialized when it is prepared: Wisp runs its
// _initialize once (for a Go module, the Go runtime's start-up and every
// package's init), records the instance's memory and globals, and compiles
// a copy of the module that starts in that state (package preinit). Each
// request then gets a fresh instance of the copy, whose memory starts as
// the recorded image (mapped copy-on-write where the platform allows, see
// snapshot_linux.go), and calls wisp_handle. No request sees what another
// wrote: every instance starts from the same image and is discarded.
//
// What initialization sees is fixed into the image: the app's env (not the
// request's: read that with environ_get at request time), its bundled
// files, the clock and random numbers at the time of the deploy. Random
// seeds a language runtime draws during initialization (Go's map hash seed,
// math/rand's state) are therefore the same in every request of one
// deploy; cryptographic randomness (crypto/rand, random_get) is drawn
// fresh per call.

// preinitTimeout bounds a reactor's initialization at deploy time.
const preinitTimeout = 10 * time.Second

// preinitOutputLimit bounds how much of initialization's stderr is kept
// (its stdout is discarded); when initialization fails, the last 2 KiB of
// what was kept go into the error.
const preinitOutputLimit = 64 << 10

// ErrPreinit is matched by errors from a reactor whose initialization
// failed or cannot be captured. Such errors also match ErrInvalidModule.
var ErrPreinit = errors.New("reactor initialization failed")

type preinitError struct{ msg string }

func (e *preinitError) Error() string { return e.msg }
func (e *preinitError) Is(target error) bool {
	return target == ErrPreinit || target == ErrInvalidModule
}

// snapshot is a pre-initialized reactor.
type snapshot struct {
	module *Module // the rewritten module; one reference
	image  *memoryImage
	// reusable: the module can neither change a table nor drop a data
	// segment, so its instances are reused (reuse.go); its mutable
	// globals are then exported as globals say.
	reusable bool
	globals  []preinit.Global
	// entry is the function each request calls: HandlerEntry, or
	// CommandEntry for a command's pristine state (reuse_command.go),
	// whose module is the command's own.
	entry string
	// A command's image is taken at its first run (commandImage).
	once     sync.Once
	imageErr error
}

func (s *snapshot) close(ctx context.Context) error {
	// A command's image is taken by its first run: wait for one in
	// progress, and take none after.
	s.once.Do(func() { s.imageErr = ErrClosed })
	err := s.module.Close(ctx)
	if s.image != nil {
		err = errors.Join(err, s.image.close())
	}
	return err
}

// preinitialize runs m's initialization once with cfg's environment and
// files and returns the snapshot its requests start from.
func (m *Module) preinitialize(ctx context.Context, cfg wazero.ModuleConfig, env []string) (*snapshot, error) {
	// m is compiled in its instrumented form (see compiledForm); Instrument
	// again only to learn which globals it exported.
	limit := uint64(m.key.pages) * pageSize
	original, err := m.source()
	if err != nil {
		return nil, err
	}
	_, globals, err := preinit.Instrument(original)
	if err != nil {
		return nil, m.preinitFailed(err, nil)
	}

	var stderr bytes.Buffer
	runCtx, cancel := context.WithTimeout(ctx, preinitTimeout)
	defer cancel()
	mem := &instanceMemory{pool: &m.e.memory}
	defer mem.Free()
	runCtx = withMemory(withEnviron(runCtx, newEnviron(env, nil)), mem)
	compiled, release, err := m.compiledModule(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	mod, err := m.rt.rt.InstantiateModule(runCtx, compiled, cfg.
		WithArgs(InitializeEntry).
		WithStdout(io.Discard).
		WithStderr(&limitedBuffer{b: &stderr, max: preinitOutputLimit}).
		WithNanosleep(sleeperFor(runCtx)).
		WithStartFunctions())
	if err == nil {
		defer mod.Close(context.WithoutCancel(ctx))
		if init := mod.ExportedFunction(InitializeEntry); init != nil {
			_, err = init.Call(runCtx)
		}
	}
	if err := classify(runCtx, err); err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			err = fmt.Errorf("it did not finish within %s", preinitTimeout)
		}
		return nil, m.preinitFailed(err, stderr.Bytes())
	}

	snap := preinit.Snapshot{Globals: make(map[uint32]uint64, len(globals))}
	for _, g := range globals {
		snap.Globals[g.Index] = mod.ExportedGlobal(g.Export).Get()
	}
	memory := mod.Memory()
	if memory == nil {
		return nil, m.preinitFailed(errors.New("module defines no memory"), nil)
	}
	snap.MemoryPages = memory.Size() / pageSize
	data, _ := memory.Read(0, memory.Size())
	image, err := newMemoryImage(&m.e.memory.regions, data)
	if err != nil {
		return nil, fmt.Errorf("store reactor memory snapshot: %w", err)
	}

	rewritten, err := preinit.Apply(original, snap)
	if err != nil {
		image.close()
		return nil, m.preinitFailed(err, nil)
	}
	// A module whose instances can be reused (reuse.go) is compiled with
	// its mutable globals exported, so a reused instance's can be reset.
	summary, err := wasmscan.Scan(rewritten, wasmscan.DefaultLimits)
	reuse := err == nil && !summary.ChangesTables && !summary.DropsData
	var exported []preinit.Global
	if reuse {
		if rewritten, exported, err = preinit.Instrument(rewritten); err != nil {
			image.close()
			return nil, m.preinitFailed(err, nil)
		}
	}
	sm, err := m.e.compile(ctx, rewritten, limit, true)
	if err != nil {
		image.close()
		return nil, fmt.Errorf("compile pre-initialized reactor: %w", err)
	}
	return &snapshot{module: sm, image: image, reusable: reuse, globals: exported, entry: HandlerEntry}, nil
}

func (m *Module) preinitFailed(err error, stderr []byte) error {
	msg := fmt.Sprintf("pre-initialize reactor: %s: %v", InitializeEntry, err)
	if errors.Is(err, preinit.ErrUnsupported) {
		msg = fmt.Sprintf("pre-initialize reactor: %v; build it as a command (with a main function and _start) instead", err)
	}
	if tail := bytes.TrimSpace(stderr); len(tail) > 0 {
		if len(tail) > 2048 {
			tail = tail[len(tail)-2048:]
		}
		msg += "; its stderr ends with: " + string(tail)
	}
	return &preinitError{msg: msg}
}

// runReactor instantiates the snapshot and calls its handler, on an
// instance that is closed after the call (see runReused for the other
// way).
func (p *Prepared) runReactor(ctx context.Context, cfg wazero.ModuleConfig, c Call) error {
	compiled, release, err := p.snap.module.compiledModule(ctx)
	if err != nil {
		return err
	}
	defer release()
	mem := p.snap.image.instanceMemory(&p.m.e.memory, uint64(p.m.key.pages)*pageSize)
	defer mem.Free() // after the instance is closed: see instanceMemory
	if c.Hooks != nil {
		defer func() { c.Hooks.Ended(mem.grown()) }()
	}
	ctx = withMemory(ctx, mem)
	mod, err := p.m.rt.rt.InstantiateModule(ctx, compiled, cfg.WithStartFunctions())
	if err == nil {
		if c.Hooks != nil {
			c.Hooks.Instantiated()
		}
		_, err = mod.ExportedFunction(HandlerEntry).Call(ctx)
		mod.Close(context.WithoutCancel(ctx))
	}
	return classify(ctx, err)
}

// limitedBuffer keeps the first max bytes written to it and discards the
// rest.
type limitedBuffer struct {
	b   *bytes.Buffer
	max int
}

func (w *limitedBuffer) Write(p []byte) (int, error) {
	if room := w.max - w.b.Len(); room > 0 {
		w.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// reactorForm returns a reactor's instrumented form (unless it is a
// snapshot already), a reusable command's (reuse_command.go), or wasm
// itself.
func reactorForm(wasm []byte, snapshot bool) ([]byte, error) {
	if snapshot {
		return wasm, nil
	}
	reactor, err := preinit.ExportsFunction(wasm, HandlerEntry)
	if err != nil {
		return wasm, nil // not readable: compileAndCheck says why
	}
	if !reactor {
		if instrumented, _, ok := reusableCommand(wasm); ok {
			return instrumented, nil // its globals exported, for reuse (reuse_command.go)
		}
		return wasm, nil
	}
	instrumented, _, err := preinit.Instrument(wasm)
	if err != nil {
		if errors.Is(err, preinit.ErrUnsupported) {
			return nil, &preinitError{msg: fmt.Sprintf("pre-initialize reactor: %v; build it as a command (with a main function and _start) instead", err)}
		}
		return wasm, nil // compileAndCheck says what is wrong with the module
	}
	return instrumented, nil
}
