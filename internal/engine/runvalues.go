package engine

import "context"

// runValues is what the host functions of one run read from its context:
// the fuel account, the environment, the arguments of a reused instance,
// Call.Host and the dirty mark. They travel as one context value rather
// than one each: a run makes one value and one allocation for all of them
// (runBlock), and every host call finds them with one lookup, where a
// chain of five values cost five allocations per request and a walk of the
// chain on every host call (ctx.Err included).
//
// A context's runValues is never changed once the context is handed on,
// except by the code that made it for its own run (Prepared.Run's, filled
// in by runReused before the guest runs): deriving one for new values
// copies the fields (withRunValues). The environ values point to are laid
// out at the guest's first read (environ.layout), on the run's goroutine.
type runValues struct {
	meter *meterState // nil: no account
	env   *environ    // nil: an empty environment
	args  *environ    // nil: the arguments the instance was configured with
	host  any         // Call.Host
	mark  *dirtyMark  // nil: the instance is not reused
}

type runKey struct{}

// runValuesOf returns a copy of ctx's runValues; the zero value if it has
// none.
func runValuesOf(ctx context.Context) runValues {
	if v, ok := ctx.Value(runKey{}).(*runValues); ok {
		return *v
	}
	return runValues{}
}

// withRunValues returns ctx carrying ctx's runValues changed by set.
func withRunValues(ctx context.Context, set func(*runValues)) context.Context {
	v := runValuesOf(ctx)
	set(&v)
	return context.WithValue(ctx, runKey{}, &v)
}

// runBlock is a Prepared.Run's values and what they point to, allocated
// together.
type runBlock struct {
	values runValues
	meter  meterState
	env    environ
	args   environ
}

// startRun returns ctx carrying the values of a run of c with the app's
// environment base, and the block, whose meter is the run's fuel account.
// Its args and mark are set by runReused before the guest runs; the
// environment and arguments are laid out at the guest's first read.
func startRun(ctx context.Context, c Call, base []string) (context.Context, *runBlock) {
	b := &runBlock{}
	b.values = runValuesOf(ctx)
	b.meter.init(c)
	b.env.base, b.env.call, b.env.callFunc = base, c.Env, c.EnvFunc // laid out on the guest's first read
	b.values.meter, b.values.env = &b.meter, &b.env
	if c.Host != nil {
		b.values.host = c.Host
	}
	return context.WithValue(ctx, runKey{}, &b.values), b
}
