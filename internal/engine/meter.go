package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"

	"github.com/wisphq/wisp/internal/meter"
)

// Metering (docs/cpu.md). Every module the engine compiles is rewritten
// by package meter: its functions and loop bodies charge fuel to a counter
// in the instance, and call refuel, below, when it runs out. refuel is the
// only place a running guest is stopped: it checks the call's context
// (deadline, cancellation, engine closed) and CPU budget, and either
// refills the counter or aborts the call. wazero's WithCloseOnContextDone,
// which checks the context at every loop iteration and function call in
// the guest's code, is not used for metered modules.

// FuelPerMillisecond is the fixed rate between fuel and CPU time: a CPU
// budget of d allows FuelFor(d) fuel, and a call that used f fuel is
// reported as CPUTime(f). It is a constant, not a measurement, so a
// budget stops the same request at the same point on every node; it was
// chosen so that compute-bound C code (bench/guests/sha256-c, about 1.16
// million fuel per request) runs about as long on an unloaded 2020s
// x86-64 core as its fuel says, or less: 4 weighted instructions per
// nanosecond (see package meter for the weights).
const FuelPerMillisecond = 4_000_000

// refuelQuantum is the most fuel refuel grants at a time: the longest a
// guest runs without passing through the host, where a deadline,
// cancellation or a stop-the-world GC can reach it. At the rate above it
// is about 100 us of guest code.
const refuelQuantum = 400_000

// FuelFor returns the fuel a CPU budget of d allows; 0 for d <= 0.
func FuelFor(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64(d) * FuelPerMillisecond / int64(time.Millisecond)
}

// CPUTime returns the CPU time fuel stands for.
func CPUTime(fuel int64) time.Duration {
	return time.Duration(fuel * int64(time.Millisecond) / FuelPerMillisecond)
}

// Usage is what one Run used.
type Usage struct {
	Fuel int64         // fuel charged (see docs/cpu.md)
	CPU  time.Duration // CPUTime(Fuel)
}

// ErrCPULimit is matched by the error of a Run stopped at its CPU budget
// (a *CPULimitError).
var ErrCPULimit = errors.New("cpu limit exceeded")

// CPULimitError reports a Run stopped because it used more than its CPU
// budget.
type CPULimitError struct {
	Budget time.Duration // Call.CPU
	Fuel   int64         // fuel used when it was stopped, just over FuelFor(Budget)
}

func (e *CPULimitError) Error() string {
	return fmt.Sprintf("module stopped at its cpu limit of %s (%d fuel)", e.Budget, e.Fuel)
}

func (e *CPULimitError) Is(target error) bool { return target == ErrCPULimit }

// errOverBudget is what refuel panics with to stop a guest over budget;
// Run reports it as a *CPULimitError.
var errOverBudget = errors.New("over cpu budget")

// meterState is one run's fuel account. A run may span several metered
// instances (a component's graph): each has its own counter, and every
// instance's refuel draws from the run's one budget.
type meterState struct {
	budget int64 // fuel; 0: no budget
	used   int64 // fuel charged before the current grants
	meters []instanceMeter
	// one is meters' storage for a run of up to four instances (a module,
	// or a wrapped command's graph: its main module, the adapter and the
	// shims that refuel): no allocation.
	one      [4]instanceMeter
	joined   int // instances that have charged the account
	exceeded bool
	cpu      time.Duration
	usage    *Usage
}

// instanceMeter is one instance's counter in a run, and what it was last
// set to.
type instanceMeter struct {
	mod     api.Module
	counter api.MutableGlobal
	grant   int64
}

// startMeter returns ctx carrying a fuel account for c.
func startMeter(ctx context.Context, c Call) (context.Context, *meterState) {
	st := &meterState{}
	st.init(c)
	return withRunValues(ctx, func(v *runValues) { v.meter = st }), st
}

// init sets st up as the fuel account of a run of c.
func (st *meterState) init(c Call) {
	*st = meterState{budget: FuelFor(c.CPU), cpu: c.CPU, usage: c.Usage}
	st.meters = st.one[:0]
}

// StartMeter returns ctx carrying a fuel account for one run of metered
// guest code that is not a Prepared.Run (a component's graph, a plugin
// call): every metered instance called with the returned ctx, or a
// context derived from it, charges this account, and is stopped once the
// account has used more than FuelFor(cpu) (0: no budget). The instances
// must have their counters at zero when the run starts (fresh ones do;
// reset a reused one with ResetMeter). Call the Meter's Finish with the
// run's error once the run is over. The account is not safe for
// concurrent use: one run at a time, on one goroutine, as wazero runs a
// call.
func StartMeter(ctx context.Context, cpu time.Duration, usage *Usage) (context.Context, Meter) {
	ctx, st := startMeter(ctx, Call{CPU: cpu, Usage: usage})
	return ctx, Meter{st}
}

// Meter is a run's fuel account, as StartMeter made it: a value, so
// holding one costs no allocation.
type Meter struct{ st *meterState }

// Finish records the fuel used in StartMeter's *usage (if not nil) and
// returns a *CPULimitError in place of err when the budget stopped the
// run, else err.
func (m Meter) Finish(err error) error { return m.st.finish(err) }

// settle adds the fuel every instance spent since its last grant to used.
func (st *meterState) settle() {
	for i := range st.meters {
		m := &st.meters[i]
		left := int64(m.counter.Get())
		st.used += m.grant - left
		m.grant = left
	}
}

// finish records what the run used and turns a stop at the budget into a
// *CPULimitError.
func (st *meterState) finish(err error) error {
	st.settle()
	if st.usage != nil {
		*st.usage = Usage{Fuel: st.used, CPU: CPUTime(st.used)}
	}
	if st.exceeded {
		return &CPULimitError{Budget: st.cpu, Fuel: st.used}
	}
	return err
}

// meterOf returns mod's entry, adding it (its counter at zero: a grant of
// 0) on its first refuel in the run.
func (st *meterState) meterOf(mod api.Module) *instanceMeter {
	for i := range st.meters {
		if st.meters[i].mod == mod {
			return &st.meters[i]
		}
	}
	st.joined++
	st.meters = append(st.meters, instanceMeter{mod: mod, counter: counter(mod)})
	return &st.meters[len(st.meters)-1]
}

// refuel is the guest's wisp:meter.refuel: the instance's counter dropped
// below zero. It aborts the call when its context has ended or the
// instance was closed (reported by classify and closedUnder as the kill
// it is), or when the run has used more than its budget; otherwise it
// sets the counter to the next grant. With several instances in a run,
// the fuel the others hold counts as spent toward the budget; when that
// leaves nothing for this one, their counters are taken back to zero
// (they call refuel at their next check).
func refuel(ctx context.Context, mod api.Module, _ []uint64) {
	if ctx.Err() != nil {
		panic(sys.NewExitError(sys.ExitCodeDeadlineExceeded))
	}
	if mod.IsClosed() { // Engine.Close, Plugin.Close
		panic(sys.NewExitError(sys.ExitCodeContextCanceled))
	}
	st := runValuesOf(ctx).meter
	if st == nil { // a start section at link time, _initialize at deploy, a snapshot
		counter(mod).Set(refuelQuantum)
		return
	}
	m := st.meterOf(mod)
	if m.grant > 0 && ended(ctx) {
		// The instance has had fuel in this run: it may run on for long,
		// so from its second refuel on the deadline is armed (a context
		// may set it up only on Done: wisp's runContext). Its first
		// refuel, at its first check, comes before it has run. (A grant
		// taken back to zero below exempts the next refuel again: at
		// most one more quantum, and the budget still holds.)
		panic(sys.NewExitError(sys.ExitCodeDeadlineExceeded))
	}
	if len(st.meters) == 1 { // one instance: the common case, no loop
		st.used += m.grant - int64(m.counter.Get())
	} else {
		st.settle()
	}
	grant := int64(refuelQuantum)
	if st.budget > 0 {
		if st.used > st.budget {
			st.exceeded = true
			m.grant = int64(m.counter.Get())
			panic(errOverBudget)
		}
		held := int64(0) // granted to the other instances, not yet spent
		for i := range st.meters {
			if o := &st.meters[i]; o != m && o.grant > 0 {
				held += o.grant
			}
		}
		if st.budget-st.used-held <= 0 && held > 0 {
			for i := range st.meters {
				if o := &st.meters[i]; o != m && o.grant > 0 {
					o.counter.Set(0)
					o.grant = 0
				}
			}
			held = 0
		}
		grant = min(grant, st.budget-st.used-held)
	}
	m.counter.Set(uint64(grant))
	m.grant = grant
}

func counter(mod api.Module) api.MutableGlobal {
	g, ok := mod.ExportedGlobal(meter.FuelExport).(api.MutableGlobal)
	if !ok {
		panic(fmt.Errorf("metered instance exports no mutable %s", meter.FuelExport))
	}
	return g
}

// resetMeterIn zeroes the fuel counter of mod, an instance kept from
// earlier calls, before a call with ctx. When ctx's account already
// knows mod (its _initialize ran under the same account), the fuel it
// spent is counted first and what is left of its grant goes back.
func resetMeterIn(ctx context.Context, mod api.Module, counter api.MutableGlobal) {
	if st := runValuesOf(ctx).meter; st != nil {
		for i := range st.meters {
			if m := st.meters[i]; m.mod == mod {
				st.used += m.grant - int64(m.counter.Get())
				st.meters = append(st.meters[:i], st.meters[i+1:]...)
				break
			}
		}
	}
	counter.Set(0)
}

// ResetMeter zeroes mod's fuel counter. An instance reused for another
// call must be reset first (as its other globals are), or the fuel left
// from its last call would go uncounted; a new instance starts at zero.
func ResetMeter(mod api.Module) {
	if g, ok := mod.ExportedGlobal(meter.FuelExport).(api.MutableGlobal); ok {
		g.Set(0)
	}
}

// instantiateMeter adds the wisp:meter host module to a metered runtime
// and returns it (for an import resolver: the instance, not the store's
// view of it that Runtime.Module returns).
func instantiateMeter(ctx context.Context, rt wazero.Runtime, provided map[string]api.FunctionDefinition) (api.Module, error) {
	hc, err := rt.NewHostModuleBuilder(meter.ImportModule).
		NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(refuel), nil, nil).Export(meter.ImportName).
		Compile(ctx)
	if err != nil {
		return nil, fmt.Errorf("compile %s host module: %w", meter.ImportModule, err)
	}
	inst, err := rt.InstantiateModule(ctx, hc, wazero.NewModuleConfig().WithName(meter.ImportModule))
	if err != nil {
		return nil, fmt.Errorf("instantiate %s host module: %w", meter.ImportModule, err)
	}
	for name, def := range inst.ExportedFunctionDefinitions() {
		provided[meter.ImportModule+"."+name] = def
	}
	return inst, nil
}

// meteredForm instruments src, the form of a module the engine compiles
// (compiledForm), for metering. When the rewriter cannot read it, it
// returns src and the rewriter's error: compileAndCheck then says what is
// wrong with the module, and a module wazero accepts that the rewriter
// cannot read is refused with that error (it must not run unmetered).
func meteredForm(src []byte) ([]byte, error) {
	out, err := meter.Instrument(src)
	if err != nil {
		if errors.Is(err, meter.ErrReserved) {
			return nil, invalidf("%s; %q and the export %q are reserved for Wisp's CPU metering", err, meter.ImportModule, meter.FuelExport)
		}
		return src, err
	}
	return out, nil
}

// withoutMeter returns mods without the metering import module.
func withoutMeter(mods []string) []string {
	out := mods[:0:0]
	for _, m := range mods {
		if m != meter.ImportModule {
			out = append(out, m)
		}
	}
	return out
}
