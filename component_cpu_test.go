package wisp_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/gateway"
	"github.com/wisphq/wisp/memstore"
)

// TestComponentCPULimit: a component spinning (testdata/components/extra/
// loop.wasm, a command looping forever) is stopped at its limits.cpu long
// before its timeout, with ErrCPULimit through Invoke and the gateway's 503
// naming the CPU limit, and its stops are counted in its usage; with a
// CPU limit larger than its timeout, the deadline stops it.
func TestComponentCPULimit(t *testing.T) {
	n := newNode(t)
	ctx := context.Background()
	loop := uploadFile(t, n, "testdata/components/extra/loop.wasm")
	for _, app := range []struct {
		name   string
		limits wisp.Limits
	}{
		{"cpu", wisp.Limits{CPU: wisp.Duration(20 * time.Millisecond), Timeout: wisp.Duration(time.Minute)}},
		{"deadline", wisp.Limits{CPU: wisp.Duration(time.Minute), Timeout: wisp.Duration(200 * time.Millisecond)}},
	} {
		if _, err := n.Deploy(ctx, wisp.AppSpec{Name: app.name, Module: loop, Routes: routes(t, "/"+app.name), Limits: app.limits}); err != nil {
			t.Fatal(err)
		}
	}

	var used wisp.Usage
	err := n.InvokeApp(ctx, "cpu", wisp.Input{Stdout: io.Discard, Usage: &used})
	if !errors.Is(err, wisp.ErrCPULimit) || !strings.Contains(err.Error(), `app "cpu" used more than its CPU limit of 20ms per request`) {
		t.Fatalf("err = %v; want ErrCPULimit naming the limit", err)
	}
	if budget := int64(20 * wisp.FuelPerMillisecond); used.Fuel <= budget || used.Fuel > budget+wisp.FuelPerMillisecond {
		t.Fatalf("stopped having used %d fuel; want just over %d", used.Fuel, budget)
	}

	srv := httptest.NewServer(gateway.New(n, nil))
	defer srv.Close()
	for _, tc := range []struct {
		path   string
		status int
		body   string
	}{
		{"/cpu", http.StatusServiceUnavailable, "app cpu used more than its CPU limit of 20ms per request (limits.cpu)"},
		{"/deadline", http.StatusGatewayTimeout, "app deadline did not answer within its 200ms timeout"},
	} {
		resp, err := srv.Client().Get(srv.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || !strings.Contains(string(b), tc.body) {
			t.Errorf("GET %s: %d %q; want %d with %q", tc.path, resp.StatusCode, b, tc.status, tc.body)
		}
	}
	u, err := n.AppUsage("cpu")
	if err != nil {
		t.Fatal(err)
	}
	if u.Requests != 2 || u.OverBudget != 2 {
		t.Fatalf("usage of the looping app: %+v; want 2 requests, both stopped at limits.cpu", u)
	}
}

// TestComponentUsageDeterministic: a component's run uses the same fuel
// every time, whether its graph is fresh or reused (counter.wasm's graph
// is snapshotted and reused: its counters are reset), and that fuel is in
// the app's usage.
func TestComponentUsageDeterministic(t *testing.T) {
	n := newNode(t)
	ctx := context.Background()
	if _, err := n.Deploy(ctx, wisp.AppSpec{Name: "counter", Module: uploadFile(t, n, "testdata/components/counter.wasm"), Routes: routes(t, "/counter")}); err != nil {
		t.Fatal(err)
	}
	var fuel []int64
	for range 4 {
		var used wisp.Usage
		if err := n.InvokeApp(ctx, "counter", wisp.Input{Stdout: io.Discard, Usage: &used}); err != nil {
			t.Fatal(err)
		}
		fuel = append(fuel, used.Fuel)
	}
	for _, f := range fuel {
		if f <= 0 || f != fuel[0] {
			t.Fatalf("runs used %v fuel; want the same every run, above 0", fuel)
		}
	}
	u, err := n.AppUsage("counter")
	if err != nil {
		t.Fatal(err)
	}
	if u.Requests != 4 || u.Fuel != 4*fuel[0] || u.OverBudget != 0 {
		t.Fatalf("usage %+v; want 4 requests of %d fuel", u, fuel[0])
	}
}

// TestJSComponentUsage: the JavaScript hello component (examples/hello-js,
// StarlingMonkey, several core instances in its graph) is metered across
// its graph: the request log line carries its CPU, and `wisp app`'s usage
// (Node.AppUsage) counts it. The node runs it on reused graphs
// (internal/engine/component_reuse.go), whose fuel counters are reset:
// every request uses the same fuel as the first, on a fresh graph.
func TestJSComponentUsage(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a 13 MB JavaScript component")
	}
	n, err := wisp.New(wisp.Config{Store: memstore.New(), KV: memstore.NewKV()}) // hello-js counts its visits
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := n.Load(ctx); err != nil {
		t.Fatal(err)
	}
	defer n.Close(ctx)
	if _, err := n.Deploy(ctx, wisp.AppSpec{Name: "hello-js", Module: uploadFile(t, n, "examples/hello-js/hello.wasm"), Routes: routes(t, "/hello-js/..."), KeyValueStores: []string{"default"}}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gateway.New(n, nil))
	defer srv.Close()
	const requests = 3
	before := wisp.EngineReused(n)
	for range requests {
		resp, err := srv.Client().Get(srv.URL + "/hello-js/")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	if reused := wisp.EngineReused(n) - before; reused < requests-1 {
		t.Fatalf("%d of %d requests ran on a reused graph; want at least %d", reused, requests, requests-1)
	}
	u, err := n.AppUsage("hello-js")
	if err != nil {
		t.Fatal(err)
	}
	if u.Requests != requests || u.Fuel <= 0 || u.Fuel%requests != 0 || u.P50 != u.Max {
		t.Fatalf("usage %+v; want %d metered requests using the same fuel", u, requests)
	}
	entries, _, _ := n.Logs("hello-js", 0, 0)
	var used []string
	for _, e := range entries {
		if _, u, ok := strings.Cut(e.Message, " ("); e.Stream == "request" && ok && strings.Contains(u, " cpu, ") && strings.HasSuffix(u, " fuel)") {
			used = append(used, u)
		}
	}
	if len(used) != requests || used[1] != used[0] || used[2] != used[0] {
		t.Fatalf("request log lines' usage: %q; want %d the same: %+v", used, requests, entries)
	}
	t.Logf("hello-js: %+v", u)
}
