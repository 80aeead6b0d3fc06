package engine

import (
	"context"
	"os"
	"strings"
	"testing"
)

// TestComponentSignatures: a canon option's core function of another type
// than the canonical ABI requires refuses the component at compile, and
// says what it is and what is required.
func TestComponentSignatures(t *testing.T) {
	wasm, err := os.ReadFile("testdata/signature/v128.wasm")
	if err != nil {
		t.Fatal(err)
	}
	realloc := func(step int, name string, host int) ComponentSignature {
		return ComponentSignature{Step: step, Name: name, Host: host, Params: []ValueType{I32, I32, I32, I32}, Results: []ValueType{I32}, What: "realloc of the lower of wasi:cli/environment@0.2.3#get-environment"}
	}
	host := []ComponentHostFunc{{Params: []ValueType{I32, I32, I32, I32}, Results: []ValueType{I32}, Fn: func(context.Context, []uint64) error { return nil }}}
	for _, tc := range []struct {
		name string
		sig  ComponentSignature
		want string // "" for none
	}{
		{"a realloc returning a v128", realloc(0, "realloc", 0), "realloc of the lower of wasi:cli/environment@0.2.3#get-environment is a core function of type (i32,i32,i32,i32) -> (v128), where the canonical ABI requires (i32,i32,i32,i32) -> (i32)"},
		{"a post-return taking nothing where it takes an i32", ComponentSignature{Step: 0, Name: "run", Params: []ValueType{I32}, What: "post-return of the lift of \"run\""}, "post-return of the lift of \"run\" is a core function of type () -> (), where the canonical ABI requires (i32) -> ()"},
		{"a function the step does not export", realloc(0, "cabi_realloc", 0), `core instance 0 exports no function "cabi_realloc"`},
		{"a host function of the right type", realloc(-1, "", 0), ""},
		{"the right type", ComponentSignature{Step: 0, Name: "run", What: "post-return"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := newEngine(t, "").CompileComponent(context.Background(), ComponentSpec{Steps: [][]byte{wasm}, Host: host, Signatures: []ComponentSignature{tc.sig}}, 1<<20)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				c.Close(context.Background())
				return
			}
			if err == nil {
				c.Close(context.Background())
				t.Fatalf("compiled; want an error saying %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q; want it to say %q", err, tc.want)
			}
		})
	}
}

// TestV128FunctionIsLeftToCall: CallWithStack counts stack slots, so a
// function with a v128 (two slots) is not called through it; Call then
// reports its result count as it is.
func TestV128FunctionIsLeftToCall(t *testing.T) {
	wasm, err := os.ReadFile("testdata/signature/v128.wasm")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c, err := newEngine(t, "").CompileComponent(ctx, ComponentSpec{Steps: [][]byte{wasm}}, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	g, err := c.Instantiate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close(ctx)
	stack := []uint64{0, 0, 1, 8}
	if n, called, err := g.CallWithStack(ctx, 0, "realloc", stack, 4); called {
		t.Fatalf("CallWithStack called a function returning a v128: %d results, %v", n, err)
	}
	res, err := g.Call(ctx, 0, "realloc", 0, 0, 1, 8)
	if err != nil || len(res) != 2 {
		t.Fatalf("Call: %v, %v; want the v128's two halves", res, err)
	}
}
