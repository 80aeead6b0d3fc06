package wisp_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/memstore"
)

// TestRequestsRunOnReusedInstances checks, through the node, that a
// pre-initialized reactor, a command whose _start returns (the C hello,
// and the isolation suite's reuseprobe command), preview 1 commands
// wrapped as components and a JavaScript component
// answer their requests on reused instances (internal/engine/reuse.go,
// reuse_command.go, component_reuse.go), with the answers a fresh instance
// gives. tests/isolation proves that no
// request sees another's state on them.
func TestRequestsRunOnReusedInstances(t *testing.T) {
	n, err := wisp.New(wisp.Config{Store: memstore.New(), KV: memstore.NewKV()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := n.Load(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close(ctx) })
	for _, tc := range []struct {
		name, module string
		stores       []string
		input        func() wisp.Input
		want         string
		short        bool        // runs with -short
		limits       wisp.Limits // zero: the defaults
	}{
		{"go reactor", "bench/guests/hello-go-reactor/hello.wasm", nil,
			func() wisp.Input { return wisp.Input{Args: []string{"/"}} }, "Hello, world!", true, wisp.Limits{}},
		{"c command", "bench/guests/hello-c/hello.wasm", nil,
			func() wisp.Input { return wisp.Input{Args: []string{"/"}} }, "Hello, world!", true, wisp.Limits{}},
		{"isolation probe command", "testdata/wasm/isolation/reuseprobe.wasm", nil,
			func() wisp.Input { return wisp.Input{Args: []string{"/", "mode=ok", "secret=s"}} }, "foreign=0\nfirst=none", true, wisp.Limits{}},
		// preview 1 commands wrapped by jco new: the adapter's state page
		// comes from the graph's memory reserve (internal/engine/component_reserve.go).
		{"wat command component", "testdata/components/counter.wasm", nil,
			func() wisp.Input { return wisp.Input{Args: []string{"/"}} }, "count=1", true, wisp.Limits{}},
		{"c command component", "testdata/components/printenv.wasm", nil,
			func() wisp.Input { return wisp.Input{Args: []string{"/"}, Env: []string{"PROBE=1"}} }, "PROBE=1\n", true, wisp.Limits{}},
		// memprobe grows its memory from 1 to 32 pages before its first
		// WASI call: a reserve of 31 pages, so its graphs are reused.
		{"isolation memory probe component", "testdata/components/extra/memprobe.wasm", nil,
			func() wisp.Input { return wisp.Input{Args: []string{"/", "mode=ok", "secret=s"}} }, "pages=16\nforeign=0\nfirst=none", true, wisp.Limits{Memory: 4 << 20}},
		{"javascript component", "examples/hello-js/hello.wasm", []string{"default"},
			func() wisp.Input { return wisp.Input{Request: httptest.NewRequest("GET", "/js", nil)} }, "hello from JavaScript on Wisp: GET /js", false, wisp.Limits{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.short && testing.Short() {
				t.Skip("compiling the 13 MB JavaScript component takes 10-30 s; skipped with -short")
			}
			spec := wisp.AppSpec{Name: strings.ReplaceAll(tc.name, " ", "-"), Module: uploadFile(t, n, tc.module), KeyValueStores: tc.stores, Limits: tc.limits}
			if _, err := n.Deploy(ctx, spec); err != nil {
				t.Fatal(err)
			}
			before := wisp.EngineReused(n)
			for i := range 5 {
				var out bytes.Buffer
				in := tc.input()
				in.Stdout = &out
				if err := n.InvokeApp(ctx, spec.Name, in); err != nil || !strings.Contains(out.String(), tc.want) {
					t.Fatalf("request %d: %v, answer %q; want %q", i, err, out.String(), tc.want)
				}
			}
			// The first request may instantiate; the rest run on the
			// instance it left.
			if reused := wisp.EngineReused(n) - before; reused < 4 {
				t.Errorf("%d of 5 requests ran on a reused instance, want at least 4", reused)
			}
		})
	}
}
