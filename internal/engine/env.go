package engine

import (
	"context"
	"encoding/binary"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// The environment is delivered by Wisp's own environ_get and
// environ_sizes_get, which read it from the call's context, rather than by
// wazero's ModuleConfig.WithEnv: every WithEnv clones the whole config and
// its environment, which made a CGI request's ~20 variables cost more than
// running the guest (see docs/benchmarks.md). It also lets a pre-initialized
// reactor read each request's environment: its configuration was fixed
// when it was initialized.

// WASI errno values used here.
const (
	errnoSuccess = 0
	errnoFault   = 21
)

// environ is an instance's environment in WASI's layout: every variable as
// "KEY=VALUE\x00", back to back; a reused instance's arguments are laid
// out the same way. One made by startRun or runReused is laid out when the
// guest first reads it (layout): a guest that never does, like a C program
// that calls no getenv, costs no environment at all.
type environ struct {
	buf    []byte
	starts []uint32 // offset of each variable in buf

	// pending, when laid is false, is what layout lays out: the base
	// variables, then the call's (from callFunc when it is set).
	laid     bool
	base     []string
	call     []string
	callFunc func() []string
}

// layout lays out the pending variables, once, and returns env.
func (env *environ) layout() *environ {
	if !env.laid {
		call := env.call
		if env.callFunc != nil {
			call = env.callFunc()
		}
		env.fill(env.base, call)
		env.base, env.call, env.callFunc = nil, nil, nil
	}
	return env
}

// withEnviron returns ctx carrying env for the instance run with it.
func withEnviron(ctx context.Context, env *environ) context.Context {
	return withRunValues(ctx, func(v *runValues) { v.env = env })
}

// newEnviron lays out base then call; a variable in call replaces the one of
// the same name in base (the request's CGI variables over the app's env).
func newEnviron(base, call []string) *environ {
	env := &environ{}
	env.fill(base, call)
	return env
}

// fill lays out base then call in env, as newEnviron does.
func (env *environ) fill(base, call []string) {
	size := 0
	for _, kv := range base {
		size += len(kv) + 1
	}
	for _, kv := range call {
		size += len(kv) + 1
	}
	env.buf, env.starts, env.laid = make([]byte, 0, size), make([]uint32, 0, len(base)+len(call)), true
	for _, kv := range base {
		if !overridden(kv, call) {
			env.add(kv)
		}
	}
	for _, kv := range call {
		env.add(kv)
	}
}

func (env *environ) add(kv string) {
	env.starts = append(env.starts, uint32(len(env.buf)))
	env.buf = append(env.buf, kv...)
	env.buf = append(env.buf, 0)
}

// overridden reports whether a variable of kv's name is in vars.
func overridden(kv string, vars []string) bool {
	key, _, _ := strings.Cut(kv, "=")
	for _, v := range vars {
		if len(v) > len(key) && v[len(key)] == '=' && v[:len(key)] == key {
			return true
		}
	}
	return false
}

// instantiateWASI instantiates wazero's WASI preview1 host module in rt
// with environ_get and environ_sizes_get replaced by versions that read the
// environment from the calling context (an instance run without one sees
// an empty environment).
func instantiateWASI(ctx context.Context, rt wazero.Runtime) (api.Closer, error) {
	b := rt.NewHostModuleBuilder(wasi_snapshot_preview1.ModuleName)
	wasi_snapshot_preview1.NewFunctionExporter().ExportFunctions(b)
	if err := exportWASIWatched(ctx, rt, b); err != nil { // reuse_wasi.go
		return nil, err
	}
	i32 := api.ValueTypeI32
	b.NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(environSizesGet), []api.ValueType{i32, i32}, []api.ValueType{i32}).
		WithParameterNames("result.environc", "result.environv_len").
		Export("environ_sizes_get")
	b.NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(environGet), []api.ValueType{i32, i32}, []api.ValueType{i32}).
		WithParameterNames("environ", "environ_buf").
		Export("environ_get")
	return b.Instantiate(ctx)
}

func environFrom(ctx context.Context) *environ {
	if env := runValuesOf(ctx).env; env != nil {
		return env.layout()
	}
	return &environ{laid: true}
}

// environSizesGet writes the number of variables and the size of their
// buffer.
func environSizesGet(ctx context.Context, mod api.Module, stack []uint64) {
	hostEnter(ctx, mod)
	sizesGet(environFrom(ctx), mod, stack)
}

// sizesGet writes the number of env's strings and the size of their
// buffer: environ_sizes_get, and args_sizes_get for arguments laid out the
// same way.
func sizesGet(env *environ, mod api.Module, stack []uint64) {
	mem := mod.Memory()
	countPtr, sizePtr := uint32(stack[0]), uint32(stack[1])
	if mem == nil || !mem.WriteUint32Le(countPtr, uint32(len(env.starts))) || !mem.WriteUint32Le(sizePtr, uint32(len(env.buf))) {
		stack[0] = errnoFault
		return
	}
	stack[0] = errnoSuccess
}

// environGet writes a pointer to each variable at environ and the
// variables themselves at environBuf.
func environGet(ctx context.Context, mod api.Module, stack []uint64) {
	hostEnter(ctx, mod)
	stringsGet(environFrom(ctx), mod, stack)
}

// stringsGet writes a pointer to each of env's strings at the first
// parameter and the strings at the second: environ_get, and args_get for
// arguments laid out the same way.
func stringsGet(env *environ, mod api.Module, stack []uint64) {
	mem := mod.Memory()
	ptrs, buf := uint32(stack[0]), uint32(stack[1])
	if mem == nil {
		stack[0] = errnoFault
		return
	}
	// Bounds first, so a bad pointer writes nothing.
	pointers, ok := mem.Read(ptrs, 4*uint32(len(env.starts)))
	if !ok || !mem.Write(buf, env.buf) {
		stack[0] = errnoFault
		return
	}
	// From the recorded starts, not by splitting at NULs: a value holding
	// a NUL (the node never passes one) would cut its string short, but
	// cannot make the pointers disagree with the count.
	for i, start := range env.starts {
		binary.LittleEndian.PutUint32(pointers[4*i:], buf+start)
	}
	stack[0] = errnoSuccess
}
