package isolation

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wisphq/wisp/internal/testnode"
)

// jsProbe is testdata/components/jsprobe/jsprobe.js built into a wasi:http
// component (testdata/components/extra/jsprobe.wasm): JavaScript state in
// a 13 MB pre-initialized StarlingMonkey heap. The node runs it on reused
// graphs (internal/engine/component_reuse.go), so each request must still
// see the state of a fresh instance.
const jsProbe = "jsprobe"

// jsModes are the ways a jsprobe request ends; loop waits for the timeout.
var jsModes = []string{"ok", "throw", "grow", "twice", "loop"}

// jsMemory leaves room for mode grow's 32 MiB beside the 9 MiB heap image.
const jsMemory = "128MiB"

// checkJS checks jsprobe's report: every piece of JavaScript state is as
// a fresh instance has it.
func checkJS(c call, body string) []string {
	fields, problems := parseFields(body, "requests", "last", "leak", "cache", "big", "mode", "secret")
	if len(problems) > 0 {
		return problems
	}
	for _, f := range []struct{ key, want, what string }{
		{"requests", "0", "the module-level request counter"},
		{"last", "none", "the module-level last secret"},
		{"leak", "none", "globalThis.jsprobeLeak"},
		{"cache", "0", "the module-level Map's size"},
		{"big", "none", "globalThis.jsprobeBig (a 32 MiB array)"},
	} {
		if fields[f.key] != f.want {
			problems = append(problems, fmt.Sprintf("%s is %q, want %q: an earlier request's JavaScript state survived", f.what, fields[f.key], f.want))
		}
	}
	if fields["mode"] != c.mode || fields["secret"] != c.secret {
		problems = append(problems, fmt.Sprintf("the probe ran in mode %q with secret %q, want %q and %q (did it get the query?)", fields["mode"], fields["secret"], c.mode, c.secret))
	}
	return problems
}

// startJSNode starts a node of its own and deploys jsprobe; the node is
// killed when t ends.
func startJSNode(t *testing.T) (*fixture, *app) {
	t.Helper()
	f := &fixture{data: t.TempDir()}
	node, err := testnode.Start(testnode.Options{Bin: wispBin, Data: f.data, Dir: repoRoot, OutputLimit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	f.node = node
	f.http = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	t.Cleanup(func() {
		node.Kill()
		f.http.CloseIdleConnections()
	})
	a := &app{probe: jsProbe, flavor: component, name: jsProbe + "-component"}
	a.route = "/" + a.name
	dir := t.TempDir()
	wasm, err := os.ReadFile(filepath.Join(componentDir(), jsProbe+".wasm"))
	if err != nil {
		t.Fatalf("read %s.wasm: %v (testdata/components/jsprobe/build.sh builds it)", jsProbe, err)
	}
	if err := os.WriteFile(filepath.Join(dir, a.name+".wasm"), wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	manifest := filepath.Join(dir, "wisp.toml")
	toml := fmt.Sprintf("name = %q\nmodule = %q\nroutes = [%q]\n\n[limits]\nmemory = %q\ntimeout = %q\n", a.name, a.name+".wasm", a.route, jsMemory, timeout)
	if err := os.WriteFile(manifest, []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := node.Wisp("deploy", manifest)
	if err != nil {
		t.Fatal(err)
	}
	if res.Code != 0 {
		t.Fatalf("wisp deploy %s: exit %d\nstdout: %s\nstderr: %s", a.name, res.Code, res.Stdout, res.Stderr)
	}
	return f, a
}

// TestJSComponentIsolation holds the JavaScript probe to a fresh
// instance's state through the real node: its check catches a leak (mode
// twice), every ending leaves nothing for the next requests (which run on
// reused graphs when the previous one ended normally, on fresh ones when
// it threw, grew its memory or was killed), and many requests at once see
// only their own state.
//
// Compiling the 13 MB component takes 10-30 s, so it is skipped with
// -short.
func TestJSComponentIsolation(t *testing.T) {
	if testing.Short() {
		t.Skip("compiling the 13 MB JavaScript probe takes 10-30 s; skipped with -short")
	}
	f, a := startJSNode(t)

	t.Run("detects leaks", func(t *testing.T) {
		c := newCall(a, "twice")
		r := f.do(t, c)
		if r.status != 200 {
			t.Fatalf("mode twice: status %d, want 200: %s", r.status, r.body)
		}
		problems := checkJS(c, r.body)
		if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, "request counter") }) {
			t.Fatalf("checkJS on a request that saw its own changes = %q, want a problem with the request counter; body:\n%s", problems, r.body)
		}
	})

	for _, mode := range jsModes {
		t.Run("after "+mode, func(t *testing.T) {
			skipSlow(t, mode)
			dirty := newCall(a, mode)
			r := f.do(t, dirty)
			switch {
			case mode == "twice":
				if r.status != 200 {
					t.Errorf("mode twice: status %d, want 200", r.status)
				}
			default:
				expectClean(t, dirty, r, "")
			}
			for range 5 {
				next := newCall(a, "ok")
				expectClean(t, next, f.do(t, next), "")
			}
		})
	}

	t.Run("concurrent", func(t *testing.T) {
		modes := []string{"ok", "ok", "throw", "ok", "grow"}
		var (
			mu       sync.Mutex
			failures []string
			total    int
		)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := range perWorker / 3 {
					c := newCall(a, modes[(w+i)%len(modes)])
					r, err := f.send(c)
					problems := []string{fmt.Sprint(err)}
					if err == nil {
						problems = check(c, r, "")
					}
					mu.Lock()
					total++
					if len(problems) > 0 && len(failures) < 20 {
						failures = append(failures, fmt.Sprintf("%s (mode %s):\n    %s\n  body: %q", c.path(), c.mode, strings.Join(problems, "\n    "), truncate(r.body)))
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(failures) > 0 {
			t.Fatalf("%d of %d concurrent requests to jsprobe saw problems; the first:\n%s", len(failures), total, strings.Join(failures, "\n"))
		}
		t.Logf("%d concurrent requests to jsprobe, every answer clean", total)
	})
}
