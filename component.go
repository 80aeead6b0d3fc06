package wisp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/wisphq/wisp/internal/bundle"
	"github.com/wisphq/wisp/internal/component/binary"
	"github.com/wisphq/wisp/internal/component/canon"
	"github.com/wisphq/wisp/internal/component/plan"
	"github.com/wisphq/wisp/internal/component/wasi"
	"github.com/wisphq/wisp/internal/component/world"
	"github.com/wisphq/wisp/internal/egress"
	"github.com/wisphq/wisp/internal/engine"
	"github.com/wisphq/wisp/internal/hostabi"
)

// commandComponent is a compiled component, a wasi:cli/command or (http
// set) a wasi:http/proxy handler: its plan's core instance graph compiled
// by the engine, its host functions bound to package wasi. Each run gets a
// fresh graph and a fresh wasi.State.
type commandComponent struct {
	c    *engine.Component
	run  *plan.Export // wasi:cli/run's run, or incoming-handler's handle when http
	http bool
	env  []string // the app's environment, before each call's
	// mounts are the preopened directories (wasi:filesystem), read-only:
	// the app's file bundles, or wisp run's --dir.
	mounts []wasi.Mount
	world  *World // what it targets, for `wisp app`
	// variables are the names wasi:config/store.get-all lists: the
	// app's declared variables but its secrets.
	variables []string
}

// componentRun is one run's WASI state and canonical ABI state, allocated
// together (newRun).
type componentRun struct {
	state wasi.State
	run   plan.Run
	inst  canon.Instance
}

// newRun returns a run's WASI state, s completed by state, and its
// plan.Run with a new canonical ABI instance, in one allocation.
func (cc *commandComponent) newRun(s wasi.State, svc hostabi.Services) (*wasi.State, *plan.Run) {
	cr := &componentRun{state: s}
	cr.inst.Init(nil)
	cr.run = plan.Run{Instance: &cr.inst, Charge: engine.ChargeHost}
	return cc.state(&cr.state, svc), &cr.run
}

// state completes s, the wasi.State of one invocation, with svc as its
// platform services (the node's session: wasi:keyvalue, wasi:config,
// wasi:logging and outbound HTTP under one set of per-request limits;
// nil for wisp run, whose components get none).
func (cc *commandComponent) state(s *wasi.State, svc hostabi.Services) *wasi.State {
	if svc != nil {
		s.Services = svc
		s.Outbound = func(r *http.Request) (*http.Response, error) { return svc.Send(r.Context(), r) }
	}
	s.Variables = cc.variables
	s.Mounts = cc.mounts
	return s
}

// componentState is the context key of a run's *wasi.State.
type componentState struct{}

// compileCommandComponent decodes, checks, plans and compiles the
// component wasm (a command, or an HTTP handler: see commandComponent.http) with memoryLimit on each of its memories, then builds
// one graph to prove it instantiates. env is the app's environment;
// declared, when not nil, what its manifest declares of the platform
// services (a service it imports but does not declare is refused).
// Errors about the component itself match ErrInvalid.
func compileCommandComponent(ctx context.Context, e *engine.Engine, wasm []byte, memoryLimit uint64, env []string, declared *world.Declared) (*commandComponent, error) {
	dc, err := binary.Decode(wasm)
	if err != nil {
		return nil, errorf(ErrInvalid, "%w", err)
	}
	provided := world.WASI()
	if err := world.Imports(dc, provided); err != nil {
		return nil, errorf(ErrInvalid, "%w", err)
	}
	if declared != nil {
		if err := world.Services(dc, *declared); err != nil {
			return nil, errorf(ErrInvalid, "%w", err)
		}
	}
	p, err := plan.Build(dc)
	if err != nil {
		return nil, errorf(ErrInvalid, "%w", err)
	}
	run, isHTTP, err := world.Entry(p, provided)
	if err != nil {
		return nil, errorf(ErrInvalid, "%w", err)
	}
	calls, err := p.HostCalls(wasi.Binder(func(ctx context.Context) *wasi.State {
		s, _ := ctx.Value(componentState{}).(*wasi.State)
		return s
	}))
	if err != nil {
		return nil, errorf(ErrInvalid, "%w", err)
	}
	// The entry is probed at compile to size the memory reserve that lets
	// a wrapped preview 1 command's graphs be reused (docs/components.md
	// section 9.1).
	spec := engine.ComponentSpec{Entry: &engine.ComponentEntry{Step: run.Core.Step, Name: run.Core.Name}}
	for _, s := range p.Steps {
		spec.Steps = append(spec.Steps, s.Wasm)
	}
	for j, h := range p.Host {
		spec.Host = append(spec.Host, engine.ComponentHostFunc{Params: valueTypes(h.Core.Params), Results: valueTypes(h.Core.Results), Fn: calls[j]})
	}
	for _, sig := range p.Signatures() {
		spec.Signatures = append(spec.Signatures, engine.ComponentSignature{Step: sig.Item.Step, Name: sig.Item.Name, Host: sig.Item.Host,
			Params: valueTypes(sig.Type.Params), Results: valueTypes(sig.Type.Results), What: sig.What})
	}
	c, err := e.CompileComponent(ctx, spec, memoryLimit)
	if err != nil {
		return nil, errorf(ErrInvalid, "compile component: %w", err)
	}
	cc := &commandComponent{c: c, run: run, http: isHTTP, env: env, world: componentWorld(world.Describe(dc))}
	// Instantiate one graph, calling nothing, so a mismatch between the
	// core modules fails the deploy rather than every request.
	ictx := context.WithValue(ctx, componentState{}, &wasi.State{})
	ictx = plan.WithRun(ictx, &plan.Run{Instance: canon.NewInstance(nil), Charge: engine.ChargeHost})
	g, err := c.Instantiate(ictx)
	if err != nil {
		c.Close(ctx)
		return nil, errorf(ErrInvalid, "component does not instantiate: %w", err)
	}
	g.Close(ctx)
	return cc, nil
}

func valueTypes(ts []canon.CoreType) []engine.ValueType {
	out := make([]engine.ValueType, len(ts))
	for i, t := range ts {
		switch t {
		case canon.I32:
			out[i] = engine.I32
		case canon.I64:
			out[i] = engine.I64
		case canon.F32Core:
			out[i] = engine.F32
		default:
			out[i] = engine.F64
		}
	}
	return out
}

// Close releases the compiled graph. Runs in progress must be done.
func (cc *commandComponent) Close(ctx context.Context) error { return cc.c.Close(ctx) }

// Run runs the component's wasi:cli/run once in a fresh graph, as
// engine.Prepared.Run runs a command: call's env is added to the app's
// (the same name: the call's wins), stdin, stdout and stderr are the
// call's. It returns nil on success (run returned ok, or exit(ok)), an
// *engine.ExitError for another exit (run returning err exits with 1), an
// error matching context.DeadlineExceeded or Canceled when ctx ended first
// (the guest is killed), an *engine.CPULimitError past call.CPU (its
// usage in call.Usage, as Prepared.Run), or another error (a trap).
func (cc *commandComponent) Run(ctx context.Context, call engine.Call, svc hostabi.Services) (err error) {
	ctx, meter := engine.StartMeter(ctx, call.CPU, call.Usage) // one account for the graph's instances
	defer func() { err = meter.Finish(err) }()
	s, r := cc.newRun(wasi.State{EnvFunc: cc.environment(call), Args: call.Args, Stdin: call.Stdin, Stdout: call.Stdout, Stderr: call.Stderr}, svc)
	ctx = plan.WithRun(context.WithValue(ctx, componentState{}, s), r)
	g, err := cc.c.Instantiate(ctx)
	if err != nil {
		return err
	}
	defer g.Close(ctx)
	if call.Hooks != nil {
		defer func() { call.Hooks.Ended(g.MemorySize()) }() // before Close frees the memory
		call.Hooks.Instantiated()
	}
	r.Graph = componentGraph{g}
	res, err := r.CallExport(ctx, cc.run, nil)
	if exit := (*engine.ExitError)(nil); errors.As(err, &exit) && exit.Code == 0 {
		return nil // wasi:cli/exit with ok: a successful end, as proc_exit(0)
	}
	if err != nil {
		if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
			// A host call that failed because the run was killed.
			return fmt.Errorf("%w: %v", ctx.Err(), err)
		}
		return err
	}
	if v, ok := res[0].(canon.VariantValue); !ok || v.Case != 0 {
		return &engine.ExitError{Code: 1}
	}
	return nil
}

// environment returns the function that makes a run's environment, the
// app's and call's merged (mergeEnv), when the guest first asks for it:
// a guest that never does costs none.
func (cc *commandComponent) environment(call engine.Call) func() []string {
	return func() []string {
		vars := call.Env
		if call.EnvFunc != nil {
			vars = call.EnvFunc()
		}
		return mergeEnv(cc.env, vars)
	}
}

// mergeEnv returns base with call's variables after it, a variable of
// base left out when call sets the same name (as the engine lays out a
// preview 1 command's environment).
func mergeEnv(base, call []string) []string {
	out := make([]string, 0, len(base)+len(call))
	for _, kv := range base {
		name, _, _ := strings.Cut(kv, "=")
		overridden := false
		for _, c := range call {
			if strings.HasPrefix(c, name+"=") {
				overridden = true
				break
			}
		}
		if !overridden {
			out = append(out, kv)
		}
	}
	return append(out, call...)
}

// componentGraph adapts an engine.ComponentInstance to plan.Graph.
type componentGraph struct{ g *engine.ComponentInstance }

func (v componentGraph) Memory(step int, name string) (canon.Memory, bool) {
	return v.g.Memory(step, name)
}

func (v componentGraph) Call(ctx context.Context, step int, name string, params []uint64) ([]uint64, error) {
	return v.g.Call(ctx, step, name, params...)
}

func (v componentGraph) CallWithStack(ctx context.Context, step int, name string, stack []uint64, nParams int) (int, bool, error) {
	return v.g.CallWithStack(ctx, step, name, stack, nParams)
}

// RunComponentCommand runs the wasi:cli/command component wasm once, here,
// as engine.RunCommand runs a preview 1 command for `wisp run`: the same
// options and the same exit codes (the component's exit code, 124 for a
// timeout, 152 past opts.CPU, 130 when ctx is cancelled, 134 for a trap). opts.Dirs must be
// read-only: wasi:filesystem is read-only in Wisp. Each is opened with
// os.OpenRoot, so no path the guest names, symbolic links included, leads
// outside it. An error means it could not run at all.
func RunComponentCommand(ctx context.Context, wasm []byte, opts engine.CommandOptions) (int, error) {
	var mounts []wasi.Mount
	for _, d := range opts.Dirs {
		if !d.ReadOnly {
			return 0, errorf(ErrInvalid, "--dir %s:%s: a component gets read-only directories only (Wisp's wasi:filesystem is read-only): add :ro, or run the preview 1 module for a writable one", d.Host, d.Guest)
		}
		root, err := os.OpenRoot(d.Host)
		if err != nil {
			return 0, errorf(ErrInvalid, "--dir %s: %w", d.Host, err)
		}
		defer root.Close()
		mounts = append(mounts, wasi.Mount{Guest: d.Guest, FS: root.FS()})
	}
	limit := opts.MemoryLimit
	if limit == 0 {
		limit = 1 << 32
	}
	e, err := engine.New(engine.Config{})
	if err != nil {
		return 0, err
	}
	defer e.Close(context.WithoutCancel(ctx))
	cc, err := compileCommandComponent(ctx, e, wasm, limit, nil, nil)
	if err != nil {
		return 0, err
	}
	defer cc.Close(context.WithoutCancel(ctx))
	cc.mounts = mounts
	if cc.http {
		return 0, errorf(ErrInvalid, "component exports %s (a wasi:http/proxy component), not wasi:cli/run@0.2.x: it answers HTTP requests; deploy it with wisp deploy rather than running it with wisp run", cc.run.Interface)
	}
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
	}
	err = cc.Run(ctx, engine.Call{Args: opts.Args, Env: opts.Env, Stdin: opts.Stdin, Stdout: opts.Stdout, Stderr: opts.Stderr, CPU: opts.CPU}, nil)
	return commandExit(err, opts)
}

// commandExit maps a command's outcome to wisp run's exit code, writing
// why to opts.Stderr when the runtime, not the guest, chose it.
func commandExit(err error, opts engine.CommandOptions) (int, error) {
	say := func(format string, args ...any) {
		if opts.Stderr != nil {
			fmt.Fprintf(opts.Stderr, "wisp run: "+format+"\n", args...)
		}
	}
	var exit *engine.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &exit) && exit.Code > engine.MaxExitCode:
		say("component exited with status %d; statuses above %d are reserved for the runtime and the shell, so wisp run exits with %d", exit.Code, engine.MaxExitCode, engine.ExitCodeInvalid)
		return engine.ExitCodeInvalid, nil
	case errors.As(err, &exit):
		return int(exit.Code), nil
	case errors.Is(err, engine.ErrCPULimit):
		say("component stopped at its %s CPU limit", opts.CPU)
		return engine.ExitCodeCPULimit, nil
	case errors.Is(err, context.DeadlineExceeded):
		say("component killed after its %s timeout", time.Duration(opts.Timeout))
		return engine.ExitCodeTimeout, nil
	case errors.Is(err, context.Canceled):
		say("interrupted")
		return engine.ExitCodeSignal, nil
	}
	say("%s", strings.ReplaceAll(err.Error(), "\n", "\n\t"))
	return engine.ExitCodeTrap, nil
}

// prepareComponent compiles version v's module wasm, a component (a
// command or an HTTP handler), returning it with one reference (the
// caller's).
func (n *Node) prepareComponent(ctx context.Context, v Version, wasm []byte) (*deployed, error) {
	spec := v.Spec
	mounts, err := n.componentMounts(ctx, spec)
	if err != nil {
		return nil, err
	}
	env := make([]string, 0, len(spec.Env))
	for _, k := range slices.Sorted(maps.Keys(spec.Env)) {
		env = append(env, k+"="+spec.Env[k])
	}
	outbound, err := egress.Parse(spec.AllowedOutboundHosts)
	if err != nil {
		return nil, errorf(ErrInvalid, "%w", err)
	}
	if len(spec.KeyValueStores) > 0 && n.cfg.KV == nil {
		return nil, errorf(ErrInvalid, "the app declares key_value_stores %q, but this node has no key-value backend (wisp.Config.KV)", spec.KeyValueStores)
	}
	cc, err := compileCommandComponent(ctx, n.engine, wasm, uint64(spec.Limits.Memory), env, &world.Declared{KeyValueStores: spec.KeyValueStores})
	if err != nil {
		return nil, fmt.Errorf("component %s: %w", shortDigest(spec.Module), err)
	}
	for _, name := range slices.Sorted(maps.Keys(spec.Variables)) {
		if !spec.Variables[name].Secret {
			cc.variables = append(cc.variables, name)
		}
	}
	cc.mounts = mounts
	d := n.newDeployed(v)
	d.command = cc
	d.outbound = outbound
	return d, nil
}

// componentMounts loads the file bundles of spec as a component's
// preopened directories: the same bundles, at the same guest paths, as a
// preview 1 module's mounts (prepare).
func (n *Node) componentMounts(ctx context.Context, spec AppSpec) ([]wasi.Mount, error) {
	mounts := make([]wasi.Mount, 0, len(spec.Files))
	for _, f := range spec.Files {
		data, err := n.readBlob(ctx, f.Bundle, "file bundle for "+f.Mount, n.checkBlobSize)
		if err != nil {
			return nil, err
		}
		fsys, err := bundle.Load(bytes.NewReader(data), n.cfg.MaxBlobSize, maxBundleFiles)
		if err != nil {
			return nil, errorf(ErrInvalid, "file bundle for %s (%s): %w", f.Mount, shortDigest(f.Bundle), err)
		}
		mounts = append(mounts, wasi.Mount{Guest: f.Mount, FS: fsys})
	}
	return mounts, nil
}
