package engine

import (
	"context"
	"fmt"
	"sort"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// HostModule is a module of host functions, beside WASI preview 1, that
// instances may import (the platform services of docs/guest-abi.md). The
// engine knows nothing of what the functions do: it instantiates them in
// every runtime, checks modules' imports against their signatures at
// compile time, and hands each function the calling instance's memory and
// the call's context.
type HostModule struct {
	Name  string // the import module name, such as "wisp:keyvalue/store@1"
	Funcs []HostFunc
}

// ValueType is the type of a host function's parameter or result.
type ValueType byte

// The value types host functions use.
const (
	I32 ValueType = iota
	I64
)

// HostFunc is one host function.
type HostFunc struct {
	Name    string
	Params  []ValueType
	Results []ValueType
	// Fn runs on the calling instance's goroutine. stack holds the
	// parameters (an i32 in the low 32 bits) and receives the results.
	// ctx is the context of the Run that instance belongs to: HostData
	// returns what that Run's Call carried (nil during a reactor's
	// _initialize, which runs at deploy, not for a call). Fn must not keep
	// mem or slices read from it after it returns.
	Fn func(ctx context.Context, mem Memory, stack []uint64)
}

// Memory is an instance's linear memory as host functions see it: every
// access is bounds-checked and reports false, reading or writing nothing,
// when it does not fit. Read returns a view of the memory, valid until the
// host function returns.
type Memory interface {
	Read(offset, byteCount uint32) ([]byte, bool)
	Write(offset uint32, v []byte) bool
	ReadUint32Le(offset uint32) (uint32, bool)
	WriteUint32Le(offset, v uint32) bool
	WriteUint64Le(offset uint32, v uint64) bool
	Size() uint32
}

// noMemory is what host functions see when the instance exports no
// memory: every access fails.
type noMemory struct{}

func (noMemory) Read(uint32, uint32) ([]byte, bool) { return nil, false }
func (noMemory) Write(uint32, []byte) bool          { return false }
func (noMemory) ReadUint32Le(uint32) (uint32, bool) { return 0, false }
func (noMemory) WriteUint32Le(uint32, uint32) bool  { return false }
func (noMemory) WriteUint64Le(uint32, uint64) bool  { return false }
func (noMemory) Size() uint32                       { return 0 }

// HostData returns the Host value of the Call whose instance is calling,
// or nil (a reactor's _initialize, or a Call without one).
func HostData(ctx context.Context) any { return runValuesOf(ctx).host }

// WithHostData returns ctx carrying v for HostData: Run does this with
// Call.Host; a host function called outside an instance (a test, the
// component layer) gets its per-call state the same way. A nil v leaves
// ctx as it is.
func WithHostData(ctx context.Context, v any) context.Context {
	if v == nil {
		return ctx
	}
	return withRunValues(ctx, func(rv *runValues) { rv.host = v })
}

// instantiateHostModules instantiates mods in rt and records their
// functions in provided, by "module.name".
func instantiateHostModules(ctx context.Context, rt wazero.Runtime, mods []HostModule, provided map[string]api.FunctionDefinition) error {
	for _, hm := range mods {
		b := rt.NewHostModuleBuilder(hm.Name)
		for _, f := range hm.Funcs {
			fn := f.Fn
			b.NewFunctionBuilder().
				WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
					hostEnter(ctx, mod) // hostcharge.go
					var mem Memory = noMemory{}
					if m := mod.Memory(); m != nil {
						mem = m
					}
					fn(ctx, mem, stack)
				}), valueTypes(f.Params), valueTypes(f.Results)).
				Export(f.Name)
		}
		inst, err := b.Instantiate(ctx)
		if err != nil {
			return fmt.Errorf("instantiate host module %s: %w", hm.Name, err)
		}
		for name, def := range inst.ExportedFunctionDefinitions() {
			provided[hm.Name+"."+name] = def
		}
	}
	return nil
}

func valueTypes(ts []ValueType) []api.ValueType {
	out := make([]api.ValueType, len(ts))
	for i, t := range ts {
		out[i] = api.ValueTypeI32
		if t == I64 {
			out[i] = api.ValueTypeI64
		}
	}
	return out
}

// importedModules lists the modules compiled imports functions from,
// sorted, without duplicates.
func importedModules(compiled wazero.CompiledModule) []string {
	seen := map[string]bool{}
	var mods []string
	for _, imp := range compiled.ImportedFunctions() {
		mod, _, _ := imp.Import()
		if !seen[mod] {
			seen[mod] = true
			mods = append(mods, mod)
		}
	}
	sort.Strings(mods)
	return mods
}
