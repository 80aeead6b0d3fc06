package plugin

import (
	"context"
	"fmt"
	"sync"

	"github.com/wisphq/wisp/internal/engine"
)

// Instance is one instance of a plugin kept for several calls: what the
// guest keeps in its memory and globals, and the variables it sets with
// var_set, persist from one call to the next. That is faster than a fresh
// instance per call when the guest has costly set-up, and it is the
// opt-in for state that must carry over; calls through one Instance no
// longer share nothing. Its calls are serialized: an Instance is safe for
// concurrent use, but concurrent calls wait for each other.
//
// A call that fails (a trap, a timeout, a cancellation, an exit, an
// error the plugin reports) may leave the instance in an unknown state; it
// is discarded and the next call starts a fresh one (the variables, which the host keeps, survive). Its memory
// limit is the plugin's Limits.Memory, fixed when the instance starts; a
// CallWith limit of memory applies to the Extism memory of that call.
type Instance struct {
	p    *Plugin
	mu   sync.Mutex
	inst *engine.PluginInstance // nil after a failure, until the next call
	vars vars
	done bool
}

// NewInstance returns an Instance of p, started (its _initialize run)
// with ctx. Close it when done.
func (p *Plugin) NewInstance(ctx context.Context) (*Instance, error) {
	i := &Instance{p: p, vars: vars{m: map[string][]byte{}}}
	i.mu.Lock()
	defer i.mu.Unlock()
	if err := i.start(ctx); err != nil {
		return nil, err
	}
	return i, nil
}

// start starts i's wazero instance. Called with i.mu held.
func (i *Instance) start(ctx context.Context) error {
	if !i.p.enter() {
		return fmt.Errorf("plugin: new instance: %w", ErrClosed)
	}
	defer i.p.closeMu.RUnlock()
	lim := i.p.cfg.Limits
	ctx, cancel := withTimeout(ctx, lim.Timeout) // _initialize is guest code too
	defer cancel()
	st := i.p.newState(nil, lim, &i.vars)
	defer st.release()
	m := i.p.meter(engine.WithHostData(ctx, st), engine.InitializeEntry, lim) // _initialize has the plugin's CPU limit
	inst, err := i.p.p.Instantiate(m.ctx, engine.PluginInstanceConfig{Stdout: i.p.cfg.Stdout, Stderr: i.p.cfg.Stderr})
	if err = m.finish(err); err != nil {
		return fmt.Errorf("plugin: new instance: %w", i.p.callError(ctx, engine.InitializeEntry, st, 0, err))
	}
	i.inst = inst
	return nil
}

// Call calls name with input on the instance, with the plugin's limits.
// Its errors are Plugin.Call's.
func (i *Instance) Call(ctx context.Context, name string, input []byte) ([]byte, error) {
	return i.CallWith(ctx, name, input, Limits{})
}

// CallWith is Call with limits for this call.
func (i *Instance) CallWith(ctx context.Context, name string, input []byte, lim Limits) ([]byte, error) {
	lim, err := i.p.limits(lim)
	if err != nil {
		return nil, fmt.Errorf("plugin: call %s: %w", name, err)
	}
	if err := i.p.callable(name); err != nil {
		return nil, err
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.done {
		return nil, fmt.Errorf("plugin: call %s: instance %w", name, ErrClosed)
	}
	if i.inst == nil {
		if err := i.start(ctx); err != nil {
			return nil, err
		}
	}
	if !i.p.enter() {
		return nil, fmt.Errorf("plugin: call %s: %w", name, ErrClosed)
	}
	defer i.p.closeMu.RUnlock()
	ctx, cancel := withTimeout(ctx, lim.Timeout)
	defer cancel()
	st := i.p.newState(input, lim, &i.vars)
	defer st.release()
	hctx := engine.WithHostData(ctx, st)
	out, err := i.p.run(hctx, i.p.meter(hctx, name, lim), i.inst, name, st)
	if err != nil {
		i.inst.Close(ctx) // its state is unknown (or it exited): start afresh next time
		i.inst = nil
		return nil, err
	}
	if i.inst.Exited() { // a command's _start: done, as Extism resets after _start
		i.inst.Close(ctx)
		i.inst = nil
	}
	return out, nil
}

// Close closes the instance. It is idempotent.
func (i *Instance) Close(ctx context.Context) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.done = true
	if i.inst == nil {
		return nil
	}
	err := i.inst.Close(ctx)
	i.inst = nil
	return err
}
