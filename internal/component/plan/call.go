package plan

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/wisphq/wisp/internal/component/canon"
)

// Graph is one run's core instance graph, as crossing the canonical ABI
// needs it (the engine's component instance, adapted).
type Graph interface {
	Memory(step int, name string) (canon.Memory, bool)
	Call(ctx context.Context, step int, name string, params []uint64) ([]uint64, error)
}

// StackCaller is a Graph that can call a function with its parameters and
// results in one slice (as wazero's CallWithStack), allocating nothing:
// stack holds nParams parameters and, once it returns normally, the
// results, whose count it returns. It calls nothing and returns called
// false when Call would check something it does not (the function is
// missing, takes other than nParams parameters, or has more results than
// stack has room for). A host function calls realloc this way when its
// Graph is one.
type StackCaller interface {
	CallWithStack(ctx context.Context, step int, name string, stack []uint64, nParams int) (results int, called bool, err error)
}

// Impl is the Go implementation of an imported function: it takes the
// lifted arguments and returns the results to lower. Per-run state reaches
// it through ctx. args is the run's, reused by its next host call: an
// Impl may keep the values in it, not the slice.
type Impl func(ctx context.Context, args []any) ([]any, error)

// Run is one run's canonical ABI state: its graph and the component
// instance's handle table.
type Run struct {
	// Graph is the run's graph: set once, before the first call (host
	// calls keep the memory they looked up in it).
	Graph    Graph
	Instance *canon.Instance
	// Charge, when set, is called by a host function with the number of
	// bytes it is about to read from or write to the guest's memory
	// (lifting parameters, lowering results), before it does: the
	// engine's engine.ChargeHost, which charges them to the run's CPU
	// account and may stop the call (by panicking, as it is called on
	// the guest's goroutine).
	Charge func(ctx context.Context, bytes uint64)
	// reallocParams holds a realloc call's parameters: a guest's realloc
	// runs on the run's one goroutine and never inside another.
	reallocParams [4]uint64
	// stackCaller is Graph as a StackCaller (nil if it is not one), once
	// stackKnown.
	stackCaller StackCaller
	stackKnown  bool

	// host is the canonical ABI state of the host call under way, reused
	// by every host call of the run: host calls never nest (one may call
	// into the guest only for realloc, during which the guest may not call
	// out: lowerCall checks Instance.MayLeave first).
	host struct {
		cx      canon.Context
		mem     chargedMemory
		subtask canon.Subtask
		ctx     context.Context
		realloc Item          // the realloc of the call's options
		call    canon.Realloc // r.hostRealloc, bound once
		args    []any         // the lifted arguments, reused
		results [canon.MaxFlatResults]uint64
		// memory is the last memory looked up, by its step and name
		// (the graph's lookup is a map's).
		memory     canon.Memory
		memoryItem Item
	}
}

type runKey struct{}

// WithRun returns ctx carrying r, for the host functions of HostCalls.
func WithRun(ctx context.Context, r *Run) context.Context { return context.WithValue(ctx, runKey{}, r) }

func runOf(ctx context.Context) (*Run, error) {
	r, _ := ctx.Value(runKey{}).(*Run)
	if r == nil {
		return nil, fmt.Errorf("component host function called outside a run (no plan.WithRun in its context)")
	}
	return r, nil
}

// HostCalls binds every host function of p: a lower calls lookup's
// implementation of its interface and function, whose type lookup returns
// too and which must be the import's (SameFuncType), so an implementation
// only ever sees Go values of the shapes it expects (an error names the
// first function lookup does not know or whose type differs); a
// resource.drop removes the handle and calls
// lookup's "[resource-drop]<name>" of the resource's interface, if any,
// with its representation. Each returned function lifts its parameters
// from the run's memory, calls, and lowers the results.
func (p *Plan) HostCalls(lookup func(iface, fn string) (Impl, *canon.FuncType, bool)) ([]func(ctx context.Context, stack []uint64) error, error) {
	out := make([]func(context.Context, []uint64) error, len(p.Host))
	for j := range p.Host {
		h := &p.Host[j]
		switch h.Kind {
		case HostLower:
			impl, ft, ok := lookup(h.Interface, h.Func)
			if !ok {
				return nil, fmt.Errorf("component imports %s %s, which is not implemented", h.Interface, h.Func)
			}
			if ft == nil || !SameFuncType(h.Type, ft) {
				return nil, fmt.Errorf("component imports %s %s with a type that differs from the interface's: %s, not %s",
					h.Interface, h.Func, funcString(h.Type), funcString(ft))
			}
			out[j] = lowerCall(h, impl)
		case HostResourceDrop:
			out[j] = dropCall(h, lookup)
		default:
			return nil, fmt.Errorf("component uses canon %s, which is not supported yet", h.Kind)
		}
	}
	return out, nil
}

// chargedMemory is a canonical ABI memory whose reads and writes are
// charged (Run.Charge), chargeChunk bytes at a time: lifting a list of a
// million small strings reads memory a million times.
type chargedMemory struct {
	canon.Memory
	ctx     context.Context
	charge  func(context.Context, uint64)
	pending uint64
}

// chargeChunk is how many bytes of reads and writes a chargedMemory
// gathers before it charges them (those left at the end of a host call,
// fewer, are not).
const chargeChunk = 64 << 10

func (m *chargedMemory) add(n uint64) {
	m.pending += n
	if m.pending >= chargeChunk {
		n, m.pending = m.pending, 0
		m.charge(m.ctx, n)
	}
}

func (m *chargedMemory) Read(offset, n uint32) ([]byte, bool) {
	m.add(uint64(n))
	return m.Memory.Read(offset, n)
}

func (m *chargedMemory) Write(offset uint32, v []byte) bool {
	m.add(uint64(len(v)))
	return m.Memory.Write(offset, v)
}

// context is the canonical ABI context of an export's call with options
// o. It lives for the whole call, host calls made during it included, so
// it is allocated; host calls reuse r.host instead (hostContext).
func (r *Run) context(ctx context.Context, o *Options) (*canon.Context, error) {
	cx := &canon.Context{Encoding: o.Encoding, Instance: r.Instance}
	if o.Memory != nil {
		m, ok := r.Graph.Memory(o.Memory.Step, o.Memory.Name)
		if !ok {
			return nil, fmt.Errorf("the component's memory %s is missing", o.Memory)
		}
		cx.Memory = m
		if r.Charge != nil {
			cx.Memory = &chargedMemory{Memory: m, ctx: ctx, charge: r.Charge}
		}
	}
	if o.Realloc != nil {
		re := *o.Realloc
		cx.Realloc = func(old, oldSize, align, newSize uint32) (uint32, error) {
			return r.callRealloc(ctx, re, old, oldSize, align, newSize)
		}
	}
	return cx, nil
}

// callRealloc calls the guest's realloc re with (old, oldSize, align,
// newSize), through CallWithStack when the graph has it.
func (r *Run) callRealloc(ctx context.Context, re Item, old, oldSize, align, newSize uint32) (uint32, error) {
	r.reallocParams = [4]uint64{uint64(old), uint64(oldSize), uint64(align), uint64(newSize)}
	if !r.stackKnown { // an interface assertion costs a lookup per call
		r.stackCaller, _ = r.Graph.(StackCaller)
		r.stackKnown = true
	}
	if sc := r.stackCaller; sc != nil {
		n, called, err := sc.CallWithStack(ctx, re.Step, re.Name, r.reallocParams[:], len(r.reallocParams))
		switch {
		case !called: // Call says what is wrong
		case err != nil:
			return 0, err
		case n != 1:
			return 0, &canon.Trap{Msg: "realloc returned no pointer"}
		default:
			return uint32(r.reallocParams[0]), nil
		}
	}
	res, err := r.Graph.Call(ctx, re.Step, re.Name, r.reallocParams[:])
	if err != nil {
		return 0, err
	}
	if len(res) != 1 {
		return 0, &canon.Trap{Msg: "realloc returned no pointer"}
	}
	return uint32(res[0]), nil
}

// hostRealloc is the host call's canon.Realloc: the realloc of its options.
func (r *Run) hostRealloc(old, oldSize, align, newSize uint32) (uint32, error) {
	return r.callRealloc(r.host.ctx, r.host.realloc, old, oldSize, align, newSize)
}

// errNoGraph fails a host call made while the graph is being
// instantiated: a core start function calling an import that needs the
// component's memory, which the graph does not have yet.
var errNoGraph = errors.New("a core start function called an import that needs the component's memory or realloc before the component is instantiated; start functions may not call such imports")

// hostContext is context for a host call: the same canon.Context, made
// from the run's reused state instead of allocated.
func (r *Run) hostContext(ctx context.Context, o *Options) (*canon.Context, error) {
	hs := &r.host
	hs.cx = canon.Context{Encoding: o.Encoding, Instance: r.Instance}
	hs.ctx = ctx
	if o.Memory != nil {
		if r.Graph == nil {
			return nil, errNoGraph
		}
		m := hs.memory
		if m == nil || hs.memoryItem != *o.Memory {
			var ok bool
			if m, ok = r.Graph.Memory(o.Memory.Step, o.Memory.Name); !ok {
				return nil, fmt.Errorf("the component's memory %s is missing", o.Memory)
			}
			hs.memory, hs.memoryItem = m, *o.Memory
		}
		hs.cx.Memory = m
		if r.Charge != nil {
			hs.mem = chargedMemory{Memory: m, ctx: ctx, charge: r.Charge}
			hs.cx.Memory = &hs.mem
		}
	}
	if o.Realloc != nil {
		if r.Graph == nil {
			return nil, errNoGraph
		}
		if hs.call == nil {
			hs.call = r.hostRealloc
		}
		hs.realloc = *o.Realloc
		hs.cx.Realloc = hs.call
	}
	hs.subtask.Reset()
	hs.cx.Subtask = &hs.subtask
	return &hs.cx, nil
}

func lowerCall(h *HostFunc, impl Impl) func(context.Context, []uint64) error {
	nParams := len(h.Core.Params)
	return func(ctx context.Context, stack []uint64) error {
		r, err := runOf(ctx)
		if err != nil {
			return err
		}
		// The spec's canon lower begins with trap_if(not may_leave): a
		// guest's realloc or post-return may not call out, and host calls
		// never nest, so one canon.Context serves them all.
		if err := r.Instance.MayLeave(); err != nil {
			return err
		}
		cx, err := r.hostContext(ctx, &h.Opts)
		if err != nil {
			return err
		}
		defer r.endHostCall() // one defer, open-coded
		return r.hostCall(ctx, cx, h, impl, stack, nParams)
	}
}

// hostCall lifts a host call's arguments, calls impl and lowers its
// results into stack.
func (r *Run) hostCall(ctx context.Context, cx *canon.Context, h *HostFunc, impl Impl, stack []uint64, nParams int) error {
	flat := stack[:nParams]
	args, err := cx.LiftParamsTo(r.host.args, h.Type, flat)
	if err != nil {
		return err
	}
	r.host.args = args
	results, err := impl(ctx, args)
	if err != nil {
		return err
	}
	if err := r.Instance.MayLeave(); err != nil {
		return err
	}
	res, err := cx.LowerResultsTo(r.host.results[:], h.Type, flat, results)
	if err != nil {
		return err
	}
	copy(stack, res)
	return nil
}

// endHostCall ends a host call however it ended: the handles lent to it
// are free again, and its arguments are not kept (they are the call's).
func (r *Run) endHostCall() {
	r.host.subtask.Finish()
	clear(r.host.args[:cap(r.host.args)])
}

func dropCall(h *HostFunc, lookup func(iface, fn string) (Impl, *canon.FuncType, bool)) func(context.Context, []uint64) error {
	return func(ctx context.Context, stack []uint64) error {
		r, err := runOf(ctx)
		if err != nil {
			return err
		}
		i := uint32(stack[0])
		rep, err := r.Instance.ResourceRep(h.Resource, i)
		if err != nil {
			return err
		}
		if err := r.Instance.ResourceDrop(h.Resource, i); err != nil {
			return err
		}
		if h.Interface == "" {
			return nil
		}
		if impl, _, ok := lookup(h.Interface, h.Func); ok {
			_, err = impl(ctx, []any{rep})
		}
		return err
	}
}

// CallExport calls lifted export e with args, returning its results.
func (r *Run) CallExport(ctx context.Context, e *Export, args []any) ([]any, error) {
	cx, err := r.context(ctx, &e.Opts)
	if err != nil {
		return nil, err
	}
	cx.Task = &canon.Task{}
	if err := r.Instance.Enter(nil); err != nil {
		return nil, err
	}
	defer r.Instance.Leave(nil)
	flat, err := cx.LowerParams(e.Type, args)
	if err != nil {
		return nil, err
	}
	res, err := r.Graph.Call(ctx, e.Core.Step, e.Core.Name, flat)
	if err != nil {
		return nil, err
	}
	results, err := cx.LiftResults(e.Type, res)
	if err != nil {
		return nil, err
	}
	if e.Opts.PostReturn != nil {
		pr := *e.Opts.PostReturn
		if err := cx.PostReturn(func(flat []uint64) error {
			_, err := r.Graph.Call(ctx, pr.Step, pr.Name, flat)
			return err
		}, res); err != nil {
			return nil, err
		}
	}
	return results, cx.Task.Return()
}

func funcString(ft *canon.FuncType) string {
	if ft == nil {
		return "none"
	}
	var sb strings.Builder
	sb.WriteString("func(")
	for i, p := range ft.Params {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(p.String())
	}
	sb.WriteString(")")
	for _, r := range ft.Results {
		sb.WriteString(" -> " + r.String())
	}
	return sb.String()
}
