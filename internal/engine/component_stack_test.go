package engine

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/wisphq/wisp/internal/component/canon"
	"github.com/wisphq/wisp/internal/component/plan"
	"github.com/wisphq/wisp/internal/component/wasi"
)

// TestCallWithStack: ComponentInstance.CallWithStack returns what Call
// returns (results or error) for the adapter's realloc, and calls nothing
// where Call would refuse the call: a missing function, another parameter
// count, a stack too short for the results.
func TestCallWithStack(t *testing.T) {
	e := newEngine(t, "")
	tc := compileComponent(t, e, "counter")
	var re *plan.Item
	for _, h := range tc.p.Host {
		if h.Opts.Realloc != nil {
			re = h.Opts.Realloc
			break
		}
	}
	if re == nil {
		t.Fatal("no host function of counter has a realloc")
	}
	graph := func() (context.Context, *ComponentInstance) {
		ctx := context.WithValue(context.Background(), stateKey{}, &wasi.State{Stderr: io.Discard})
		r := &plan.Run{Instance: canon.NewInstance(nil)}
		ctx = plan.WithRun(ctx, r)
		g, err := tc.c.Instantiate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		r.Graph = graphView{g}
		t.Cleanup(func() { g.Close(ctx) })
		return ctx, g
	}
	params := []uint64{0, 0, 1, 8}
	ctx1, g1 := graph()
	res, callErr := g1.Call(ctx1, re.Step, re.Name, params...)
	ctx2, g2 := graph()
	stack := append([]uint64(nil), params...)
	n, called, stackErr := g2.CallWithStack(ctx2, re.Step, re.Name, stack, len(params))
	if !called {
		t.Fatal("CallWithStack did not call the realloc")
	}
	switch {
	case (callErr == nil) != (stackErr == nil):
		t.Fatalf("Call: %v; CallWithStack: %v", callErr, stackErr)
	case callErr != nil && wasmError(callErr) != wasmError(stackErr):
		t.Fatalf("Call failed with %q, CallWithStack with %q", callErr, stackErr)
	case callErr == nil && (n != len(res) || n != 1 || stack[0] != res[0]):
		t.Fatalf("Call returned %v, CallWithStack %d results %v", res, n, stack[:n])
	}
	if callErr == nil && g1.failed != g2.failed {
		t.Fatalf("failed: %v after Call, %v after CallWithStack", g1.failed, g2.failed)
	}

	ctx, g := graph()
	for _, tc := range []struct {
		name    string
		fn      string
		stack   []uint64
		nParams int
	}{
		{"a missing function", "no-such-function", make([]uint64, 4), 4},
		{"another parameter count", re.Name, make([]uint64, 4), 3},
		{"more parameters than the stack holds", re.Name, make([]uint64, 3), 4},
		{"no room for the result", re.Name, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, called, err := g.CallWithStack(ctx, re.Step, tc.fn, tc.stack, tc.nParams); called || err != nil {
				t.Fatalf("called %v, err %v; want nothing called", called, err)
			}
			if g.failed {
				t.Fatal("the graph is failed after a call that did not happen")
			}
		})
	}
}

// wasmError is err's message up to the Go stack trace wazero adds.
func wasmError(err error) string {
	msg, _, _ := strings.Cut(err.Error(), "\n\nGo runtime stack trace")
	return msg
}
