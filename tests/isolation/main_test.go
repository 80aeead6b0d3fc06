// Package isolation proves that a request never observes another
// request's state: its linear memory, globals, table, files, environment,
// arguments or body. It holds whatever the request path does to be fast
// (pooled linear memory, environments delivered without rebuilding the
// module config, reactors started from a snapshot of their initialized
// state): each request must see exactly what a fresh instance would,
// sequentially and under concurrency, after the previous request returned,
// exited, trapped or was killed at its timeout.
//
// It starts the real `wisp` binary with internal/testnode, deploys the
// probe guests of testdata/wasm/isolation (described in
// testdata/wasm/README.md and in each probe's source) with the CLI, and
// checks what each response reports:
//
//   - memprobe scans all of its linear memory, pages grown by earlier
//     requests included, for any byte that differs from its initialized
//     state, then leaves the request's secret in every byte;
//   - stateprobe reports its globals (i32, i64, f64, an exported one) and
//     its funcref table, then changes all of them;
//   - envprobe echoes its environment, arguments and stdin;
//   - filesprobe tries to create files and directories in every preopened
//     directory and lists and reads what they hold;
//   - reuseprobe is memprobe without growing memory, plus globals and a
//     table it only reads: the probe whose reactor and command the engine
//     runs on reused instances (internal/engine/reuse.go,
//     reuse_command.go), so its requests prove that path starts every
//     request in the state a fresh instance would (its command traps when
//     its _start runs twice on an instance whose globals were not reset).
//
// jsprobe (testdata/components/jsprobe) is JavaScript built into a
// wasi:http component, whose module-level and global state lives in a
// 13 MB pre-initialized heap: the node runs it on reused component graphs,
// and every request must still find that state as a fresh instance has it
// (jscomponent_test.go).
//
// Every probe is a command (NAME.wasm) and, built from the same source, a
// reactor (NAME-reactor.wasm: _initialize and wisp_handle). A node that
// does not run reactors refuses the latter at deploy; their tests are then
// skipped, saying why.
//
// Each check is shown to fail on a leak (tests named ...DetectsLeaks):
// memprobe and stateprobe have a mode that runs their dirtying step once
// more inside the same instance before reporting, which is what a reused
// instance would show; envprobe's check is run on one request's answer
// as if it were another's; filesprobe is run twice by `wisp run` with a
// writable host directory, so the second run sees the first one's files.
//
// The suite takes under 20 seconds, about half of it waiting for requests
// that run into their timeout, plus 10-30 s compiling jsprobe; -short
// skips those.
package isolation

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wisphq/wisp/internal/testnode"
)

// wispBin is the binary under test, built once by TestMain; repoRoot is the
// repository's top directory.
var wispBin, repoRoot string

func TestMain(m *testing.M) {
	os.Exit(testnode.WithBinary(func(bin testnode.Binary) int {
		wispBin, repoRoot = bin.Path, bin.Root
		code := m.Run()
		shared.stop()
		return code
	}))
}

// probeDir is where the probes and their bundles live.
func probeDir() string { return filepath.Join(repoRoot, "testdata", "wasm", "isolation") }

// The probe guests, by the name of their source file.
const (
	memProbe   = "memprobe"
	stateProbe = "stateprobe"
	envProbe   = "envprobe"
	filesProbe = "filesprobe"
	reuseProbe = "reuseprobe"
)

// Flavors: how a probe's entry points are exported.
const (
	command = "command" // _start, a fresh instance per request
	reactor = "reactor" // _initialize once, wisp_handle per request
)

// Every probe app gets this environment, these file mounts and these
// limits, so each probe runs in the same setting as the others.
var (
	manifestEnv = map[string]string{
		"ISO_MANIFEST": "from the manifest",
		"ISO_QUOTED":   `a=b; c "d" \e`,
	}
	mounts = []mount{
		{guest: "/static", source: "files/static"},
		{guest: "/data", source: "files/data"},
	}
)

const (
	memoryLimit = "2MiB" // memprobe grows to 32 pages, all of it
	timeout     = time.Second
)

// mount is a bundle of the probe apps: source, relative to probeDir, is
// mounted read-only at guest.
type mount struct{ guest, source string }

// app is one probe deployed as an app.
type app struct {
	probe  string // memProbe, stateProbe...
	flavor string // command or reactor
	name   string // the app's name: the module's file name without ".wasm"
	route  string // "/" + name
	// skip says why the node refused this app ("" if it is deployed): a
	// node that does not run reactors yet.
	skip string
}

// fixture is the node every test shares, with every probe deployed once.
type fixture struct {
	once sync.Once
	err  error
	node *testnode.Node
	data string
	apps []*app
	http *http.Client

	refMu sync.Mutex
	refs  map[string]string // reference answers by app name; see reference
}

var shared fixture

// setup returns the shared node, starting it and deploying every probe on
// first use. A failure to do so fails every test that asks.
func setup(t *testing.T) *fixture {
	t.Helper()
	shared.once.Do(shared.start)
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return &shared
}

func (f *fixture) start() {
	var err error
	if f.data, err = os.MkdirTemp("", "wisp-isolation-"); err != nil {
		f.err = err
		return
	}
	f.node, err = testnode.Start(testnode.Options{Bin: wispBin, Data: f.data, Dir: repoRoot, OutputLimit: 1 << 20})
	if err != nil {
		f.err = err
		return
	}
	f.http = &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 64},
	}
	for _, probe := range []string{memProbe, stateProbe, envProbe, filesProbe, reuseProbe} {
		for _, flavor := range []string{command, reactor} {
			a, err := f.deploy(probe, flavor)
			if err != nil {
				f.err = err
				return
			}
			f.apps = append(f.apps, a)
		}
	}
}

// stop kills the node and removes its data, if it was started.
func (f *fixture) stop() {
	if f.node != nil {
		f.node.Kill()
	}
	if f.http != nil {
		f.http.CloseIdleConnections()
	}
	if f.data != "" {
		os.RemoveAll(f.data)
	}
}

// deploy deploys one probe with a manifest written for it. A reactor the
// node refuses for not being a command is returned with skip set.
func (f *fixture) deploy(probe, flavor string) (*app, error) {
	a := &app{probe: probe, flavor: flavor, name: probe}
	if flavor == reactor {
		a.name += "-reactor"
	}
	a.route = "/" + a.name
	dir, err := os.MkdirTemp(f.data, "manifest-")
	if err != nil {
		return nil, err
	}
	// A manifest may only name files beneath its own directory.
	if err := os.CopyFS(dir, os.DirFS(probeDir())); err != nil {
		return nil, err
	}
	manifest := filepath.Join(dir, "wisp.toml")
	if err := os.WriteFile(manifest, []byte(a.manifest()), 0o644); err != nil {
		return nil, err
	}
	res, err := f.node.Wisp("deploy", manifest)
	switch {
	case err != nil:
		return nil, err
	case res.Code != 0 && flavor == reactor && strings.Contains(res.Stderr, "no exported _start"):
		lines := strings.Split(strings.TrimSpace(res.Stderr), "\n")
		a.skip = "this node does not run reactors: " + lines[len(lines)-1]
		return a, nil
	case res.Code != 0:
		return nil, fmt.Errorf("wisp deploy %s: exit %d\nstdout: %s\nstderr: %s", a.name, res.Code, res.Stdout, res.Stderr)
	}
	return a, nil
}

// manifest returns the app's wisp.toml, for a directory holding a copy of
// probeDir: its paths are relative to it.
func (a *app) manifest() string {
	var b strings.Builder
	fmt.Fprintf(&b, "name = %q\nmodule = %q\nroutes = [%q]\n\n[env]\n", a.name, a.name+".wasm", a.route)
	for _, k := range sortedKeys(manifestEnv) {
		fmt.Fprintf(&b, "%s = %q\n", k, manifestEnv[k])
	}
	for _, m := range mounts {
		fmt.Fprintf(&b, "\n[[files]]\nsource = %q\nmount = %q\n", m.source, m.guest)
	}
	fmt.Fprintf(&b, "\n[limits]\nmemory = %q\ntimeout = %q\n", memoryLimit, timeout)
	return b.String()
}

// eachFlavor runs run for each app of probe, in a subtest named after its
// flavor, skipped if the node refused that app.
func (f *fixture) eachFlavor(t *testing.T, probe string, run func(t *testing.T, a *app)) {
	t.Helper()
	found := false
	for _, a := range f.apps {
		if a.probe != probe {
			continue
		}
		found = true
		t.Run(a.flavor, func(t *testing.T) {
			if a.skip != "" {
				t.Skip(a.skip)
			}
			run(t, a)
		})
	}
	if !found {
		t.Fatalf("probe %s was not deployed", probe)
	}
}

// deployed returns every app the node runs.
func (f *fixture) deployed() []*app {
	var out []*app
	for _, a := range f.apps {
		if a.skip == "" {
			out = append(out, a)
		}
	}
	return out
}
