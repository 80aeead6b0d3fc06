package wasi

import (
	"context"
	"maps"

	"github.com/wisphq/wisp/internal/component/canon"
	"github.com/wisphq/wisp/internal/component/plan"
)

// ExitCode returns the exit's code, so the engine, which knows nothing of
// WASI, ends the run with it.
func (e *ExitError) ExitCode() uint32 { return e.Code }

// Binder returns what plan.HostCalls binds a component's imports with:
// every function of Interfaces and Services, whatever 0.2.x version the
// component names (an interface Services keys by its versioned name, as
// wasi:keyvalue@0.2.0-draft2's, is looked up by that name only), called with the run's State, which stateOf finds in
// the call's context (a call outside a run, with no State, traps). An
// exit comes back as the *ExitError, whose ExitCode the engine reads.
func Binder(stateOf func(context.Context) *State) func(iface, fn string) (plan.Impl, *canon.FuncType, bool) {
	ifaces := Interfaces()
	maps.Copy(ifaces, Services())
	return func(iface, fn string) (plan.Impl, *canon.FuncType, bool) {
		funcs, versioned := ifaces[iface]
		if !versioned {
			funcs = ifaces[plan.Unversioned(iface)]
		}
		f, ok := funcs[fn]
		if !ok {
			return nil, nil, false
		}
		return func(ctx context.Context, args []any) ([]any, error) {
			s := stateOf(ctx)
			if s == nil {
				return nil, &canon.Trap{Msg: "a WASI function was called outside a run"}
			}
			return f.Call(ctx, s, args)
		}, &f.Type, true
	}
}
