package wisp_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/memstore"
)

func newNode(t testing.TB) *wisp.Node {
	t.Helper()
	n, err := wisp.New(wisp.Config{Store: memstore.New()})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close(context.Background()) })
	return n
}

// upload stores a module from testdata/wasm and returns its digest.
func upload(t testing.TB, n *wisp.Node, fixture string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "wasm", fixture))
	if err != nil {
		t.Fatal(err)
	}
	info, err := n.PutBlob(context.Background(), bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return info.Digest
}

func routes(t testing.TB, rs ...string) []wisp.Route {
	out := make([]wisp.Route, len(rs))
	for i, s := range rs {
		r, err := wisp.ParseRoute(s)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = r
	}
	return out
}

func deploy(t testing.TB, n *wisp.Node, name, fixture string, rs ...string) wisp.DeployResult {
	t.Helper()
	res, err := n.Deploy(context.Background(), wisp.AppSpec{Name: name, Module: upload(t, n, fixture), Routes: routes(t, rs...)})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func invoke(n *wisp.Node, app string) (string, error) {
	var out bytes.Buffer
	err := n.InvokeApp(context.Background(), app, wisp.Input{Args: []string{app}, Stdout: &out})
	return out.String(), err
}

func TestFreshInstancePerInvocation(t *testing.T) {
	n := newNode(t)
	deploy(t, n, "counter", "counter.wasm", "/count")
	var wg sync.WaitGroup
	results := make(chan string, 48)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 3; j++ {
				out, err := invoke(n, "counter")
				if err != nil {
					out = err.Error()
				}
				results <- out
			}
		}()
	}
	wg.Wait()
	close(results)
	for out := range results {
		if !strings.HasSuffix(out, "count=1\n") {
			t.Fatalf("an invocation answered %q; every fresh instance must count 1", out)
		}
	}
}

func TestDeployRefusesBadInputAndStoresNothing(t *testing.T) {
	n := newNode(t)
	deploy(t, n, "taken", "version1.wasm", "/taken", "/shared/...")
	for _, tc := range []struct {
		name    string
		spec    func() wisp.AppSpec
		kind    error
		message string
	}{
		{"bad name", func() wisp.AppSpec {
			return wisp.AppSpec{Name: "Bad_Name", Module: upload(t, n, "version1.wasm"), Routes: routes(t, "/x")}
		}, wisp.ErrInvalid, `app name "Bad_Name"`},
		{"module never uploaded", func() wisp.AppSpec {
			return wisp.AppSpec{Name: "app", Module: "sha256:" + strings.Repeat("ab", 32), Routes: routes(t, "/x")}
		}, wisp.ErrNotFound, "is not on this node: upload it first"},
		{"not wasm", func() wisp.AppSpec {
			return wisp.AppSpec{Name: "app", Module: upload(t, n, "garbage.wasm"), Routes: routes(t, "/x")}
		}, wisp.ErrInvalid, "malformed WebAssembly module"},
		{"missing import", func() wisp.AppSpec {
			return wisp.AppSpec{Name: "app", Module: upload(t, n, "badimport.wasm"), Routes: routes(t, "/x")}
		}, wisp.ErrInvalid, `deploy app "app": module imports env.foo, which this node does not provide`},
		{"no _start", func() wisp.AppSpec {
			return wisp.AppSpec{Name: "app", Module: upload(t, n, "nostart.wasm"), Routes: routes(t, "/x")}
		}, wisp.ErrInvalid, "no exported _start"},
		{"memory over limit", func() wisp.AppSpec {
			return wisp.AppSpec{Name: "app", Module: upload(t, n, "bigmem.wasm"), Routes: routes(t, "/x"), Limits: wisp.Limits{Memory: 64 << 20}}
		}, wisp.ErrInvalid, "more memory than its limit of 64MiB"},
		{"route conflict", func() wisp.AppSpec {
			return wisp.AppSpec{Name: "app", Module: upload(t, n, "version1.wasm"), Routes: routes(t, "/mine", "/shared/...")}
		}, wisp.ErrConflict, `route "/shared/..." is already served by app "taken"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := n.Deploy(context.Background(), tc.spec())
			if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.message) {
				t.Fatalf("err = %v; want %v containing %q", err, tc.kind, tc.message)
			}
			if _, err := n.App(context.Background(), "app"); !errors.Is(err, wisp.ErrNotFound) {
				t.Fatalf("a failed deploy left a record behind: %v", err)
			}
		})
	}
}

func TestVersionsRollbackAndRemove(t *testing.T) {
	n := newNode(t)
	ctx := context.Background()
	if res := deploy(t, n, "app", "version1.wasm", "/v"); res.Version != 1 {
		t.Fatalf("first deploy is version %d", res.Version)
	}
	if res := deploy(t, n, "app", "version1.wasm", "/v"); !res.Unchanged || res.Version != 1 {
		t.Fatalf("redeploying the same spec gave %+v, want unchanged version 1", res)
	}
	deploy(t, n, "app", "version2.wasm", "/v")
	if out, _ := invoke(n, "app"); !strings.HasSuffix(out, "v2\n") {
		t.Fatalf("after deploying v2: %q", out)
	}
	app, err := n.Rollback(ctx, "app", 0)
	if err != nil || app.Current != 1 || len(app.Versions) != 2 {
		t.Fatalf("rollback: %+v, %v", app, err)
	}
	if out, _ := invoke(n, "app"); !strings.HasSuffix(out, "v1\n") {
		t.Fatalf("after rollback: %q", out)
	}
	if _, err := n.Rollback(ctx, "app", 0); !errors.Is(err, wisp.ErrInvalid) {
		t.Fatalf("rollback past the oldest version: %v", err)
	}
	if _, err := n.Rollback(ctx, "app", 9); !errors.Is(err, wisp.ErrNotFound) || !strings.Contains(err.Error(), "no version 9") {
		t.Fatalf("rollback to a missing version: %v", err)
	}
	if _, err := n.Rollback(ctx, "app", 2); err != nil {
		t.Fatal(err)
	}
	if res := deploy(t, n, "app", "version1.wasm", "/v"); res.Version != 3 {
		t.Fatalf("deploy after rollback is version %d, want 3", res.Version)
	}
	if err := n.Remove(ctx, "app"); err != nil {
		t.Fatal(err)
	}
	if _, ok := n.Lookup("", "/v"); ok {
		t.Fatal("a removed app still has its route")
	}
	if _, err := invoke(n, "app"); !errors.Is(err, wisp.ErrNotFound) {
		t.Fatalf("invoking a removed app: %v", err)
	}
	if err := n.Remove(ctx, "app"); !errors.Is(err, wisp.ErrNotFound) {
		t.Fatalf("removing twice: %v", err)
	}
}

func TestLookupPicksTheMostSpecificRoute(t *testing.T) {
	n := newNode(t)
	deploy(t, n, "all", "version1.wasm", "/...")
	deploy(t, n, "api", "version1.wasm", "/api/...")
	deploy(t, n, "v1", "version1.wasm", "/api/v1/...")
	deploy(t, n, "exact", "version1.wasm", "/api/v1/users")
	deploy(t, n, "shop", "version1.wasm", "shop.example.com/...")
	for _, tc := range []struct{ host, path, want, route string }{
		{"", "/", "all", "/..."},
		{"", "/other", "all", "/..."},
		{"", "/api", "api", "/api/..."},
		{"", "/apix", "all", "/..."},
		{"", "/api/x/y", "api", "/api/..."},
		{"", "/api/v1/users", "exact", "/api/v1/users"},
		{"", "/api/v1/users/7", "v1", "/api/v1/..."},
		{"shop.example.com", "/api/v1/users", "shop", "shop.example.com/..."},
		{"other.example.com", "/api", "api", "/api/..."},
	} {
		t.Run(tc.host+tc.path, func(t *testing.T) {
			got, ok := n.Lookup(tc.host, tc.path)
			if !ok || got.App != tc.want || got.Route.String() != tc.route {
				t.Fatalf("Lookup(%q, %q) = %s via %s, want %s via %s", tc.host, tc.path, got.App, got.Route, tc.want, tc.route)
			}
		})
	}
}

func TestInvokeLimits(t *testing.T) {
	n := newNode(t)
	ctx := context.Background()
	deploy(t, n, "healthy", "version1.wasm", "/healthy")
	fast := wisp.Limits{Timeout: wisp.Duration(300 * time.Millisecond)}
	for _, tc := range []struct {
		name, fixture string
		limits        wisp.Limits
		kind          error
		message       string
	}{
		{"timeout", "loop.wasm", fast, wisp.ErrTimeout, "ran past its 300ms timeout"},
		{"sleep past timeout", "sleep.wasm", fast, wisp.ErrTimeout, "ran past its 300ms timeout"},
		{"cpu", "loop.wasm", wisp.Limits{CPU: wisp.Duration(20 * time.Millisecond)}, wisp.ErrCPULimit, "used more than its CPU limit of 20ms per request"},
		{"output over max_response", "bigoutput.wasm", wisp.Limits{MaxResponse: 1 << 20}, wisp.ErrTooLarge, "more than its max_response of 1MiB"},
		{"trap", "trap.wasm", wisp.Limits{}, wisp.ErrGuest, "unreachable"},
		{"exit code", "exit3.wasm", wisp.Limits{}, wisp.ErrGuest, "exited with code 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := strings.ReplaceAll(strings.ReplaceAll(tc.name, " ", "-"), "_", "-")
			_, err := n.Deploy(ctx, wisp.AppSpec{Name: name, Module: upload(t, n, tc.fixture), Routes: routes(t, "/"+name), Limits: tc.limits})
			if err != nil {
				t.Fatal(err)
			}
			_, err = invoke(n, name)
			if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.message) {
				t.Fatalf("err = %v; want %v containing %q", err, tc.kind, tc.message)
			}
			// The node is fine: another app still answers.
			if _, err := invoke(n, "healthy"); err != nil {
				t.Fatalf("healthy app after %s: %v", tc.name, err)
			}
		})
	}
}

func TestStderrGoesToTheAppLog(t *testing.T) {
	n := newNode(t)
	deploy(t, n, "logger", "stderr.wasm", "/log")
	if _, err := invoke(n, "logger"); err != nil {
		t.Fatal(err)
	}
	entries, _, _ := n.Logs("logger", 0, 0)
	for _, e := range entries {
		if e.Stream == "stderr" && e.Message == "log line from guest" && e.Version == 1 {
			return
		}
	}
	t.Fatalf("stderr line not in the app log: %+v", entries)
}

// TestSilentReactorIsToldToFlush covers a reactor that returns without
// output (a C or Rust reactor that never flushed stdout): its log says so.
func TestSilentReactorIsToldToFlush(t *testing.T) {
	n := newNode(t)
	deploy(t, n, "silent", "reactor-silent.wasm", "/silent")
	if _, err := invoke(n, "silent"); err != nil {
		t.Fatal(err)
	}
	entries, _, _ := n.Logs("silent", 0, 0)
	for _, e := range entries {
		if e.Stream == "error" && strings.Contains(e.Message, "flush stdout before the handler returns") {
			return
		}
	}
	t.Fatalf("no line about flushing in the app log: %+v", entries)
}

// TestAppThatFailedToLoad covers an app whose current version cannot be
// loaded at start-up (here: its module blob is missing from the store).
func TestAppThatFailedToLoad(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	wasm, err := os.ReadFile(filepath.Join("testdata", "wasm", "version1.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	digest := "sha256:c3ab8ff13720e8ad9047dd39466b3c8974e592c2fa383d4a3960714caef0c4f2" // not in the store
	spec := wisp.AppSpec{Name: "broken", Module: digest, Routes: routes(t, "/broken"), Limits: wisp.Limits{}.WithDefaults()}
	if _, err := store.PutApp(ctx, wisp.App{Name: "broken", Current: 1, Versions: []wisp.Version{{Number: 1, Spec: spec}}}); err != nil {
		t.Fatal(err)
	}
	n, err := wisp.New(wisp.Config{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close(ctx)
	if err := n.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if ready, failed := n.Ready(); !ready || !strings.Contains(failed["broken"], "is not on this node") {
		t.Fatalf("Ready() = %v, %v; want ready with broken reported", ready, failed)
	}

	// Its routes stay its own while it is down.
	other := wisp.AppSpec{Name: "other", Module: upload(t, n, "version2.wasm"), Routes: routes(t, "/broken")}
	if _, err := n.Deploy(ctx, other); !errors.Is(err, wisp.ErrConflict) {
		t.Fatalf("deploying over a failed app's route: %v, want ErrConflict", err)
	}

	// Redeploying the same spec once the blob is there brings it back
	// without storing a new version.
	blob, err := n.PutBlob(ctx, bytes.NewReader(wasm))
	if err != nil {
		t.Fatal(err)
	}
	spec.Module = blob.Digest
	if _, err := store.PutApp(ctx, wisp.App{Name: "broken", Current: 1, Versions: []wisp.Version{{Number: 1, Spec: spec}}, Revision: mustRevision(t, store, "broken")}); err != nil {
		t.Fatal(err)
	}
	res, err := n.Deploy(ctx, spec)
	if err != nil || !res.Unchanged {
		t.Fatalf("redeploy: %+v, %v; want unchanged", res, err)
	}
	if out, err := invoke(n, "broken"); err != nil || out != "Content-Type: text/plain\n\nv1\n" {
		t.Fatalf("after redeploy: %q, %v", out, err)
	}
	if _, failed := n.Ready(); len(failed) != 0 {
		t.Fatalf("still reported failed: %v", failed)
	}
}

func mustRevision(t *testing.T, s wisp.Store, name string) uint64 {
	a, err := s.GetApp(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return a.Revision
}

func TestConcurrentDeploysOnOneVersionHaveOneWinner(t *testing.T) {
	n := newNode(t)
	deploy(t, n, "race", "version1.wasm", "/race")
	module := upload(t, n, "version2.wasm")
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, conflicts := 0, 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			spec := wisp.AppSpec{Name: "race", Module: module, Routes: routes(t, "/race"), Env: map[string]string{"WRITER": string(rune('a' + i))}}
			_, err := n.DeployIfCurrent(context.Background(), spec, 1)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, wisp.ErrConflict) && strings.Contains(err.Error(), "current version is 2, not 1"):
				conflicts++
			default:
				t.Errorf("deploy %d: %v", i, err)
			}
		}(i)
	}
	wg.Wait()
	if wins != 1 || conflicts != 7 {
		t.Fatalf("%d winners and %d conflicts; want 1 and 7", wins, conflicts)
	}
	if app, _ := n.App(context.Background(), "race"); len(app.Versions) != 2 {
		t.Fatalf("%d versions stored; want 2", len(app.Versions))
	}
}
