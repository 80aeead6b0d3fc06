package engine

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/sys"
)

// Mount is a file system mounted read-only at a guest path: the guest
// reads it, and every change fails with the errno a POSIX read-only file
// system gives (EROFS, or EBADF for a write to a descriptor open for
// reading; see readOnlyFS).
type Mount struct {
	FS    fs.FS
	Guest string // absolute guest path, such as "/static"
}

// Prepared is a module with the configuration that is the same for every
// invocation of one app version (environment, file mounts, clocks) fixed
// once, so the request path only adds what differs per call.
type Prepared struct {
	m      *Module
	base   wazero.ModuleConfig
	env    []string
	mounts []Mount                        // mounted per Run, to count each instance's open files
	fs     wazero.FSConfig                // instead of mounts, for RunCommand's host directories
	snap   *snapshot                      // a reactor's pre-initialized state
	pool   *instancePool[*reusedInstance] // a reusable snapshot's idle instances (reuse.go)
	// reuseOff: an instance for reuse could not be made (reuse.go), or a
	// command always exits (reuse_command.go); every run instantiates
	// afresh.
	reuseOff atomic.Bool
	exits    atomic.Int64 // a command's runs ended by proc_exit in a row (reuse_command.go)
}

// Prepare fixes env (KEY=VALUE strings) and mounts for every Run of p. The
// guest gets real clocks, a cryptographic random source and no other
// access to the host. The Prepared holds its own reference on m: release
// it with Close.
//
// A reactor is pre-initialized here (see snapshot.go): its _initialize
// runs once, with env and mounts, and a failure to initialize is an error
// matching ErrPreinit and ErrInvalidModule.
func (m *Module) Prepare(ctx context.Context, env []string, mounts []Mount) (*Prepared, error) {
	return m.prepare(ctx, env, mounts, nil)
}

func (m *Module) prepare(ctx context.Context, env []string, mounts []Mount, fsc wazero.FSConfig) (*Prepared, error) {
	cfg := wazero.NewModuleConfig().
		WithName(""). // anonymous: many instances may run at once
		WithSysWalltime().
		WithSysNanotime().
		WithRandSource(rand.Reader)
	if !m.retain() {
		return nil, ErrClosed
	}
	p := &Prepared{m: m, base: cfg, env: slices.Clone(env), mounts: mounts, fs: fsc}
	if m.reactor {
		snap, err := m.preinitialize(ctx, p.withFS(cfg), p.env)
		if err != nil {
			m.Close(ctx)
			return nil, err
		}
		p.snap = snap
	} else {
		p.snap = m.commandSnapshot() // nil: every run instantiates afresh
	}
	if p.snap != nil && p.snap.reusable {
		p.pool = &instancePool[*reusedInstance]{ttl: idleInstanceTTL}
		m.e.resident.idle.add(p.pool)
	}
	return p, nil
}

// withFS returns cfg with p's files mounted.
func (p *Prepared) withFS(cfg wazero.ModuleConfig) wazero.ModuleConfig {
	switch {
	case p.fs != nil:
		return cfg.WithFSConfig(p.fs)
	case len(p.mounts) > 0:
		return cfg.WithFSConfig(readOnlyMounts(p.mounts))
	}
	return cfg
}

// Reactor reports whether p runs a pre-initialized reactor's handler
// rather than a command's _start.
func (p *Prepared) Reactor() bool { return p.snap != nil && p.snap.entry == HandlerEntry }

// Imports lists the modules p's module imports functions from, sorted.
func (p *Prepared) Imports() []string { return p.m.imports }

// Close releases p's reference on its module. Runs in progress finish.
func (p *Prepared) Close(ctx context.Context) error {
	var err error
	if p.pool != nil {
		p.m.e.resident.idle.remove(p.pool)
		p.pool.close()
	}
	if p.snap != nil {
		err = p.snap.close(ctx)
	}
	return errors.Join(err, p.m.Close(ctx))
}

// Call is what differs between invocations.
type Call struct {
	Args []string // argv, including argv[0]
	Env  []string // KEY=VALUE, applied after the prepared env (same key: this wins)
	// EnvFunc, if set, is called for Env instead, at most once, on the
	// goroutine running the guest, when the guest first reads its
	// environment (environ_sizes_get or environ_get); never for a guest
	// that does not.
	EnvFunc func() []string
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
	// Host is handed to the engine's host functions (HostData) while
	// this call's instance runs: the per-call state of the platform
	// services.
	Host any
	// CPU is the call's CPU budget, as fuel (FuelFor, meter.go): past it
	// the instance is stopped and Run returns a *CPULimitError. 0: none.
	CPU time.Duration
	// Usage, if not nil, receives the fuel and CPU time the call used.
	Usage *Usage
	// Hooks, if set, hears how the call's instance starts and ends, for
	// metrics and traces.
	Hooks Hooks
}

// Hooks hears of one call's instance. Both are called on the call's
// goroutine.
type Hooks interface {
	// Instantiated is called once the instance exists, before its entry
	// point (_start, or a reactor's handler) runs; not at all if
	// instantiation fails.
	Instantiated()
	// Ended is called with the size the instance's linear memory
	// reached, in bytes, once the instance is gone (or as it closes).
	Ended(peakMemory uint64)
}

// ExitError reports a guest that exited with a non-zero code.
type ExitError struct{ Code uint32 }

func (e *ExitError) Error() string { return fmt.Sprintf("module exited with code %d", e.Code) }

// TrapError reports a guest stopped by a WebAssembly trap (unreachable,
// out-of-bounds access, stack overflow, ...) or a failing host call.
type TrapError struct{ Msg string }

func (e *TrapError) Error() string { return "module trapped: " + e.Msg }

// Run instantiates a fresh instance, runs its _start (a reactor: its
// wisp_handle, on an instance started from its snapshot) and closes it. It
// returns nil when _start returns or the guest exits with code 0; an
// *ExitError for another exit code, whatever its value (the codes wazero
// reserves for its own kills included); an error matching
// context.DeadlineExceeded or context.Canceled if ctx ended before the
// instance did (it is killed, sleeps included) or the engine was closed
// under it (Canceled); a *CPULimitError past c.CPU; or a *TrapError.
// Which of these it is depends on ctx, the fuel used and the engine, never
// on the code a guest chooses.
func (p *Prepared) Run(ctx context.Context, c Call) (err error) {
	ctx, run := startRun(ctx, c, p.env)
	defer func() { err = run.meter.finish(err) }()
	if p.pool != nil && !p.reuseOff.Load() {
		return p.m.e.closedUnder(p.runReused(ctx, c, run))
	}
	return p.m.e.closedUnder(p.runFresh(ctx, c))
}

// runFresh runs c on an instance made for it alone and closed after it.
func (p *Prepared) runFresh(ctx context.Context, c Call) error {
	cfg := p.callConfig(ctx, c)
	if p.Reactor() {
		return p.runReactor(ctx, cfg, c)
	}
	compiled, release, err := p.m.compiledModule(ctx)
	if err != nil {
		return err
	}
	defer release()
	mem := &instanceMemory{pool: &p.m.e.memory}
	defer mem.Free() // after the instance is closed: see instanceMemory
	if c.Hooks != nil {
		defer func() { c.Hooks.Ended(mem.grown()) }()
	}
	ctx = withMemory(ctx, mem)
	// _start is called here rather than by InstantiateModule, so the
	// instance's creation and its run can be told apart (Call.Hooks);
	// a failure is reported as InstantiateModule reports it.
	mod, err := p.m.rt.rt.InstantiateModule(ctx, compiled, cfg.WithStartFunctions())
	if err == nil {
		if c.Hooks != nil {
			c.Hooks.Instantiated()
		}
		if start := mod.ExportedFunction("_start"); start != nil {
			if _, err = start.Call(ctx); err != nil {
				if _, exit := err.(*sys.ExitError); !exit {
					err = fmt.Errorf("module[%s] function[%s] failed: %w", mod.Name(), "_start", err)
				}
			}
		}
	}
	if mod != nil {
		mod.Close(context.WithoutCancel(ctx))
	}
	return classify(ctx, err)
}

// callConfig returns the module configuration of one call's fresh
// instance.
func (p *Prepared) callConfig(ctx context.Context, c Call) wazero.ModuleConfig {
	return p.withFS(p.base.
		WithArgs(c.Args...).
		WithStdin(orEmpty(c.Stdin)).
		WithStdout(orDiscard(c.Stdout)).
		WithStderr(orDiscard(c.Stderr)).
		WithNanosleep(sleeperFor(ctx)))
}

// sleeperFor returns a nanosleep for WASI's poll_oneoff that wakes when ctx
// ends, so a sleeping guest cannot outlive its deadline.
func sleeperFor(ctx context.Context) func(ns int64) {
	return func(ns int64) {
		t := time.NewTimer(time.Duration(ns))
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
	}
}

// classify maps how an instance ended to Run's errors.
//
// Whether the node stopped the guest is decided by ctx, never by the exit
// code. wazero reports its own kills (WithCloseOnContextDone; refuel, meter.go, does the same) as a
// sys.ExitError with sys.ExitCodeDeadlineExceeded or
// sys.ExitCodeContextCanceled, but those are ordinary uint32 values a guest
// can pass to proc_exit itself: taken at their word, a guest could answer
// "timed out" at once. So once ctx has ended the run was killed, whatever
// the guest did (it may even have finished: a guest woken from a sleep by
// the deadline can return before wazero notices the closed context, and
// past the deadline is still past the deadline); while ctx is alive every
// exit code, reserved or not, is the guest's own. The deadline really
// firing is no race: wazero reports its code only after ctx is done, and
// ctx.Err is set from then on.
func classify(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("module killed: %w", ctxErr)
	}
	if err == nil {
		return nil
	}
	var exit *sys.ExitError
	if errors.As(err, &exit) {
		if exit.ExitCode() == 0 {
			return nil
		}
		return &ExitError{Code: exit.ExitCode()}
	}
	return &TrapError{Msg: strings.TrimSpace(err.Error())}
}

// closedUnder reports a run that Close killed as canceled. Close stops
// running instances with sys.ExitCodeContextCanceled while their contexts
// are alive, so classify sees that code as the guest's own; the engine's
// state, not the code, tells the two apart (a guest passing the code to
// proc_exit while the engine closes is killed anyway).
func (e *Engine) closedUnder(err error) error {
	if err == nil {
		return nil // and no allocation for errors.As's target
	}
	var exit *ExitError
	if !errors.As(err, &exit) || exit.Code != sys.ExitCodeContextCanceled {
		return err
	}
	e.mu.Lock()
	closed := e.closed
	e.mu.Unlock()
	if closed {
		return fmt.Errorf("module killed: engine closed: %w", context.Canceled)
	}
	return err
}

type emptyReader struct{}

func (emptyReader) Read([]byte) (int, error) { return 0, io.EOF }

func orEmpty(r io.Reader) io.Reader {
	if r == nil {
		return emptyReader{}
	}
	return r
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}
