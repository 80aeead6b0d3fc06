package plan

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/wisphq/wisp/internal/component/canon"
)

// reallocGraph is a Graph of one memory whose only function is a realloc
// answering from a script (pointers that may be out of bounds or
// misaligned), recording its calls. results is how many results the
// realloc's core type has; reenter, when set, is called from inside the
// realloc, as a guest's realloc calling an import would.
type reallocGraph struct {
	mem     sliceMemory
	ptrs    []uint32
	results int
	calls   [][4]uint64
	reenter func() error
}

func (g *reallocGraph) Memory(int, string) (canon.Memory, bool) { return g.mem, true }

func (g *reallocGraph) realloc(params []uint64) (uint32, error) {
	g.calls = append(g.calls, [4]uint64(params[:4]))
	if g.reenter != nil {
		if err := g.reenter(); err != nil {
			return 0, err
		}
	}
	if len(g.calls) > len(g.ptrs) {
		return 0, errors.New("guest trapped in realloc")
	}
	return g.ptrs[len(g.calls)-1], nil
}

func (g *reallocGraph) Call(_ context.Context, _ int, name string, params []uint64) ([]uint64, error) {
	if name != "realloc" || len(params) != 4 {
		return nil, errors.New("component call: no such function or a wrong parameter count")
	}
	p, err := g.realloc(params)
	if err != nil {
		return nil, err
	}
	res := make([]uint64, g.results)
	if g.results > 0 {
		res[0] = uint64(p)
	}
	return res, nil
}

// stackGraph is a reallocGraph that is also a StackCaller, as the
// engine's graph is.
type stackGraph struct{ *reallocGraph }

func (g stackGraph) CallWithStack(_ context.Context, _ int, name string, stack []uint64, nParams int) (int, bool, error) {
	if name != "realloc" || nParams != 4 || g.results > len(stack) {
		return 0, false, nil
	}
	p, err := g.realloc(stack)
	if err != nil {
		return 0, true, err
	}
	stack[0] = uint64(p)
	return g.results, true, nil
}

// TestHostCallReallocPaths: a host call lowering a list of strings through
// the graph's CallWithStack does what it does through Call: the same
// realloc calls, memory and error, with a realloc that misbehaves.
func TestHostCallReallocPaths(t *testing.T) {
	list := canon.List(canon.String())
	h := &HostFunc{
		Kind: HostLower, Interface: "wasi:cli/environment", Func: "get-arguments",
		Type: &canon.FuncType{Results: []*canon.Type{list}},
		Core: canon.CoreFuncType{Params: []canon.CoreType{canon.I32}},
		Opts: Options{Memory: &Item{Name: "memory"}, Realloc: &Item{Name: "realloc"}},
	}
	impl := func(context.Context, []any) ([]any, error) { return []any{[]string{"prog", "", "arg"}}, nil }
	call := lowerCall(h, impl)
	for _, tc := range []struct {
		name    string
		ptrs    []uint32
		results int
		retp    uint64
	}{
		{"well behaved", []uint32{64, 128, 160, 192}, 1, 8},
		{"a string out of bounds", []uint32{64, 128, 1 << 20, 192}, 1, 8},
		{"the list misaligned", []uint32{66, 128, 160, 192}, 1, 8},
		{"the script runs out", []uint32{64}, 1, 8},
		{"the result pointer out of bounds", []uint32{64, 128, 160, 192}, 1, 1 << 20},
		{"realloc returns nothing", []uint32{64, 128, 160, 192}, 0, 8},
		{"realloc returns two values", []uint32{64, 128, 160, 192}, 2, 8},
		{"realloc returns more than the stack holds", []uint32{64, 128, 160, 192}, 5, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			type outcome struct {
				mem   []byte
				calls [][4]uint64
				err   string
			}
			run := func(stack bool) outcome {
				g := &reallocGraph{mem: make(sliceMemory, 1024), ptrs: tc.ptrs, results: tc.results}
				r := &Run{Graph: g, Instance: canon.NewInstance(nil)}
				if stack {
					r.Graph = stackGraph{g}
				}
				err := call(WithRun(context.Background(), r), []uint64{tc.retp})
				o := outcome{mem: g.mem, calls: g.calls}
				if err != nil {
					o.err = err.Error()
				}
				return o
			}
			viaCall, viaStack := run(false), run(true)
			if viaCall.err != viaStack.err || !bytes.Equal(viaCall.mem, viaStack.mem) || !reflect.DeepEqual(viaCall.calls, viaStack.calls) {
				t.Fatalf("through Call: err %q, calls %v\nthrough CallWithStack: err %q, calls %v", viaCall.err, viaCall.calls, viaStack.err, viaStack.calls)
			}
		})
	}
}

// TestHostCallDuringReallocTraps: a guest's realloc that calls an import
// traps, before the import's arguments are lifted or its implementation
// runs (the spec's canon lower: trap_if(not may_leave)), and the host call
// under way is left as it was.
func TestHostCallDuringReallocTraps(t *testing.T) {
	list := canon.List(canon.String())
	outer := &HostFunc{
		Kind: HostLower, Func: "get-arguments",
		Type: &canon.FuncType{Results: []*canon.Type{list}},
		Core: canon.CoreFuncType{Params: []canon.CoreType{canon.I32}},
		Opts: Options{Memory: &Item{Name: "memory"}, Realloc: &Item{Name: "realloc"}},
	}
	ran := 0
	inner := lowerCall(&HostFunc{Kind: HostLower, Func: "inner", Type: &canon.FuncType{}}, func(context.Context, []any) ([]any, error) {
		ran++
		return nil, nil
	})
	g := &reallocGraph{mem: make(sliceMemory, 1024), ptrs: []uint32{64, 128}, results: 1}
	r := &Run{Graph: stackGraph{g}, Instance: canon.NewInstance(nil)}
	ctx := WithRun(context.Background(), r)
	g.reenter = func() error { return inner(ctx, nil) }
	err := lowerCall(outer, func(context.Context, []any) ([]any, error) { return []any{[]string{"a"}}, nil })(ctx, []uint64{8})
	if err == nil || !canon.IsTrap(err) || !strings.Contains(err.Error(), "called out of itself") {
		t.Fatalf("got %v, want the may_leave trap", err)
	}
	if ran != 0 {
		t.Fatalf("the import ran %d times inside realloc", ran)
	}
}
