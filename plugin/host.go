package plugin

import (
	"context"
	"fmt"
	"sort"

	"github.com/wisphq/wisp/internal/engine"
)

// ValueType is the WebAssembly type of a host function's parameter or
// result.
type ValueType byte

// The value types host functions use. Extism's host functions take and
// return I64 offsets of Extism memory.
const (
	I32 ValueType = iota
	I64
)

// HostFunction is a function the embedder gives plugins to import.
type HostFunction struct {
	// Namespace is the import module name. Default UserNamespace
	// ("extism:host/user"); EnvNamespace is reserved.
	Namespace string
	// Name is the import name. Required.
	Name string
	// Params and Results are the function's signature; a plugin importing
	// it with another signature is refused at Load.
	Params, Results []ValueType
	// Func runs on the calling instance's goroutine, with the context of
	// the call (its deadline, its values) and that call's Current.
	// stack holds the parameters (an i32 in the low 32 bits) and receives
	// the results. A non-nil error stops the call: it fails with a
	// *TrapError that wraps the error (errors.Is and errors.As see it).
	// Func must not keep c or slices it returned after it returns. It may
	// run concurrently for concurrent calls.
	Func func(ctx context.Context, c *Current, stack []uint64) error
}

// BytesFunction returns a HostFunction in UserNamespace taking one I64
// (the offset of a block of Extism memory holding its input) and returning
// one I64 (the offset of a new block holding fn's output, or 0 for a nil
// output): the shape Extism's PDKs give host functions.
func BytesFunction(name string, fn func(ctx context.Context, input []byte) ([]byte, error)) HostFunction {
	return HostFunction{
		Name: name, Params: []ValueType{I64}, Results: []ValueType{I64},
		Func: func(ctx context.Context, c *Current, stack []uint64) error {
			in, err := c.ReadBlock(stack[0])
			if err != nil {
				return err
			}
			out, err := fn(ctx, in)
			if err != nil {
				return err
			}
			stack[0] = 0
			if out != nil {
				stack[0], err = c.NewBlock(out)
			}
			return err
		},
	}
}

// Current is the call a host function runs for: its memories, with every
// access bounds-checked.
type Current struct {
	st  *state
	mem engine.Memory
}

// Read returns a copy of n bytes of the guest's linear memory at offset,
// or an error matching ErrInvalidPointer if they are not all inside it.
func (c *Current) Read(offset, n uint32) ([]byte, error) {
	b, ok := c.mem.Read(offset, n)
	if !ok {
		return nil, fmt.Errorf("read %d bytes at %d: outside the guest's %d bytes of memory: %w", n, offset, c.mem.Size(), ErrInvalidPointer)
	}
	return append([]byte(nil), b...), nil
}

// Write writes b to the guest's linear memory at offset, or returns an
// error matching ErrInvalidPointer (writing nothing) if it does not fit.
func (c *Current) Write(offset uint32, b []byte) error {
	if !c.mem.Write(offset, b) {
		return fmt.Errorf("write %d bytes at %d: outside the guest's %d bytes of memory: %w", len(b), offset, c.mem.Size(), ErrInvalidPointer)
	}
	return nil
}

// MemorySize returns the size of the guest's linear memory in bytes.
func (c *Current) MemorySize() uint32 { return c.mem.Size() }

// ReadBlock returns a copy of the block of Extism memory at offset (a
// handle the plugin allocated), or an error matching ErrInvalidPointer.
func (c *Current) ReadBlock(offset uint64) ([]byte, error) {
	b, err := c.st.k.block(offset, "read block")
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), b...), nil
}

// NewBlock allocates a block of Extism memory holding b and returns its
// offset, for the plugin to read (and free). It fails with ErrMemoryLimit
// past the call's memory limit.
func (c *Current) NewBlock(b []byte) (uint64, error) { return c.st.k.store(b) }

// Free frees a block of Extism memory. Unknown offsets are ignored.
func (c *Current) Free(offset uint64) { c.st.k.free(offset) }

// hostModules returns the engine host modules of Extism's ABI and fns.
func hostModules(fns []HostFunction) ([]engine.HostModule, error) {
	byNS := map[string][]engine.HostFunc{}
	seen := map[string]bool{}
	for i, f := range fns {
		ns := f.Namespace
		if ns == "" {
			ns = UserNamespace
		}
		switch {
		case f.Name == "":
			return nil, fmt.Errorf("host function %d has no name", i)
		case f.Func == nil:
			return nil, fmt.Errorf("host function %s.%s has no Func", ns, f.Name)
		case ns == EnvNamespace:
			return nil, fmt.Errorf("host function %s.%s: the namespace %s is Extism's own ABI; use %s or your own", ns, f.Name, EnvNamespace, UserNamespace)
		case seen[ns+"."+f.Name]:
			return nil, fmt.Errorf("host function %s.%s is defined twice", ns, f.Name)
		}
		seen[ns+"."+f.Name] = true
		fn, what := f.Func, ns+"."+f.Name
		byNS[ns] = append(byNS[ns], engine.HostFunc{
			Name: f.Name, Params: engineTypes(f.Params), Results: engineTypes(f.Results),
			Fn: func(ctx context.Context, mem engine.Memory, stack []uint64) {
				st := stateOf(ctx)
				st.ctx = ctx
				if err := fn(ctx, &Current{st: st, mem: mem}, stack); err != nil {
					st.fail(fmt.Errorf("host function %s: %w", what, err))
				}
			},
		})
	}
	mods := []engine.HostModule{{Name: EnvNamespace, Funcs: extismFuncs()}}
	names := make([]string, 0, len(byNS))
	for ns := range byNS {
		names = append(names, ns)
	}
	sort.Strings(names)
	for _, ns := range names {
		mods = append(mods, engine.HostModule{Name: ns, Funcs: byNS[ns]})
	}
	return mods, nil
}

func engineTypes(ts []ValueType) []engine.ValueType {
	out := make([]engine.ValueType, len(ts))
	for i, t := range ts {
		out[i] = engine.I32
		if t == I64 {
			out[i] = engine.I64
		}
	}
	return out
}

func sortStrings(s []string) { sort.Strings(s) }
