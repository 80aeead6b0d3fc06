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

// component is the flavor of a probe wrapped into a wasi:cli/command
// component by jco new (testdata/components/extra/PROBE.wasm, built by
// testdata/components/build.sh): the node serves it CGI-style like the
// bare command, from the graph snapshot taken at compile
// (internal/engine/component_snapshot.go), so the same checks must hold.
const component = "component"

// componentProbes are the probes wrapped as components. filesprobe is
// not among them: the node's suite of it against the bare module is the
// root package's TestComponentFilesLikeItsModule. Nor is envprobe: it writes its answer with one fd_write of six iovecs and
// ignores a short write, and jco's preview 1 adapter writes only the
// first non-empty iovec of a call (a short write, which wasi-libc
// retries), so its answer stops after the CGI header.
var componentProbes = []string{memProbe, stateProbe}

// componentModes are the modes each wrapped probe is ended in, as for
// the bare modules (TestMemoryAfterEachEnding, TestStateAfterEachEnding),
// less two of memprobe's that fail in a component for reasons other than
// isolation: twice and sleep, where the probe overwrites all 32 pages
// before calling into WASI again, the adapter's own state among them, and
// the adapter's assertion (line 2857) traps. That the next request is
// clean after it is the snapshot at work, but the probe cannot report.
var componentModes = map[string][]string{
	memProbe:   {"ok", "exit0", "exit7", "trap", "oob", "loop"},
	stateProbe: {"ok", "exit7", "trap", "twice", "loop"},
}

// componentFastModes are the modes of componentModes that end without
// waiting for the timeout, less twice, whose report shows its own
// leftovers by design.
func componentFastModes(probe string) []string {
	return slices.DeleteFunc(slices.Clone(componentModes[probe]), func(m string) bool { return m == "twice" || slices.Contains(slowModes, m) })
}

// componentMemory is the wrapped probes' memory limit: memprobe grows
// its memory to 32 pages, the whole of the bare probes' 2 MiB, and the
// adapter then grows one more page for its own state.
const componentMemory = "4MiB"

// componentDir holds the wrapped probes.
func componentDir() string { return filepath.Join(repoRoot, "testdata", "components", "extra") }

// startComponentNode starts a node of its own (the shared fixture's
// manifests mount files, which components refuse) and deploys every
// wrapped probe with the shared fixture's environment and limits. The
// node is killed when t ends.
func startComponentNode(t *testing.T) (*fixture, []*app) {
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
	var apps []*app
	for _, probe := range componentProbes {
		a := &app{probe: probe, flavor: component, name: probe + "-component"}
		a.route = "/" + a.name
		dir := t.TempDir()
		wasm, err := os.ReadFile(filepath.Join(componentDir(), probe+".wasm"))
		if err != nil {
			t.Fatalf("read the wrapped %s: %v (testdata/components/build.sh builds it)", probe, err)
		}
		if err := os.WriteFile(filepath.Join(dir, a.name+".wasm"), wasm, 0o644); err != nil {
			t.Fatal(err)
		}
		manifest := filepath.Join(dir, "wisp.toml")
		if err := os.WriteFile(manifest, []byte(componentManifest(a)), 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := node.Wisp("deploy", manifest)
		if err != nil {
			t.Fatal(err)
		}
		if res.Code != 0 {
			t.Fatalf("wisp deploy %s: exit %d\nstdout: %s\nstderr: %s", a.name, res.Code, res.Stdout, res.Stderr)
		}
		apps = append(apps, a)
	}
	return f, apps
}

// componentManifest is app.manifest without the file mounts.
func componentManifest(a *app) string {
	var b strings.Builder
	fmt.Fprintf(&b, "name = %q\nmodule = %q\nroutes = [%q]\n\n[env]\n", a.name, a.name+".wasm", a.route)
	for _, k := range sortedKeys(manifestEnv) {
		fmt.Fprintf(&b, "%s = %q\n", k, manifestEnv[k])
	}
	fmt.Fprintf(&b, "\n[limits]\nmemory = %q\ntimeout = %q\n", componentMemory, timeout)
	return b.String()
}

// componentApp returns the app of probe among apps.
func componentApp(t *testing.T, apps []*app, probe string) *app {
	t.Helper()
	i := slices.IndexFunc(apps, func(a *app) bool { return a.probe == probe })
	if i < 0 {
		t.Fatalf("probe %s was not deployed as a component", probe)
	}
	return apps[i]
}

// TestComponentIsolation holds the wrapped probes to the bare modules'
// checks through the real node: stateprobe's check catches a leak in a
// component too (mode twice; memprobe's cannot run, see componentModes),
// every ending leaves nothing for the next request,
// the snapshot the graph starts from never carries a request's memory,
// and many requests at once see only their own state.
func TestComponentIsolation(t *testing.T) {
	f, apps := startComponentNode(t)

	t.Run("state detects leaks", func(t *testing.T) {
		a := componentApp(t, apps, stateProbe)
		c := newCall(a, "twice")
		r := f.do(t, c)
		if r.status != 200 {
			t.Fatalf("mode twice: status %d, want 200: %s", r.status, r.body)
		}
		if len(checkState(c, r.body)) == 0 {
			t.Fatalf("checkState on a component instance that changed its globals found nothing; body:\n%s", r.body)
		}
	})

	// The snapshot: memprobe leaves its secret in every byte of its
	// memory; the next request's graph starts from the compile-time
	// snapshot and must find none of it, nor the secret in its answer.
	// Sequential requests run on one reused graph, whose memory reserve
	// serves memprobe's growth from 1 to 32 pages
	// (internal/engine/component_reserve.go): the pages the reserve hands
	// out must be clean too.
	t.Run("snapshot", func(t *testing.T) {
		a := componentApp(t, apps, memProbe)
		for range 5 {
			dirty := newCall(a, "ok")
			expectClean(t, dirty, f.do(t, dirty), "")
			next := newCall(a, "ok")
			r := f.do(t, next)
			expectClean(t, next, r, "")
			if strings.Contains(r.body, dirty.secret) {
				t.Fatalf("the next request's answer holds the previous request's secret %s:\n%s", dirty.secret, r.body)
			}
		}
	})

	for _, probe := range componentProbes {
		a := componentApp(t, apps, probe)
		t.Run(probe+" after each ending", func(t *testing.T) {
			f.dirtyThenClean(t, a, componentModes[probe]...)
		})
	}

	t.Run("concurrent", func(t *testing.T) {
		refs := map[string]string{}
		for _, a := range apps {
			refs[a.name] = f.reference(t, a)
		}
		var (
			mu       sync.Mutex
			failures []string
			total    int
		)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := range perWorker / 2 {
					n := w*perWorker + i
					a, round := apps[n%len(apps)], n/len(apps)
					modes := componentFastModes(a.probe)
					c := newCall(a, modes[(round+w)%len(modes)])
					r, err := f.send(c)
					problems := []string{fmt.Sprint(err)}
					if err == nil {
						problems = check(c, r, refs[a.name])
					}
					mu.Lock()
					total++
					if len(problems) > 0 && len(failures) < 20 {
						failures = append(failures, fmt.Sprintf("%s %s (mode %s):\n    %s\n  body: %q", a.name, c.path(), c.mode, strings.Join(problems, "\n    "), truncate(r.body)))
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(failures) > 0 {
			t.Fatalf("%d of %d concurrent requests to the component probes saw problems; the first:\n%s", len(failures), total, strings.Join(failures, "\n"))
		}
		t.Logf("%d concurrent requests to %d component probes, every answer clean", total, len(apps))
	})
}
