package crash

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp"
)

// deploys is how many deploys the test interrupts.
const deploys = 50

// seedEnv names the environment variable that replays a run: the same seed
// makes the same choices (app, module, kill mode and delay). Where a delay
// lands still depends on the machine's timing.
const seedEnv = "WISP_CRASH_SEED"

// TestKillDuringDeploys deploys 50 times to a node with a data dir and
// kills it with SIGKILL at a random moment of each deploy: before or
// during the upload, during compilation, around the store write or just
// after the CLI's acknowledgement. After each restart on the same data dir
// it checks every app: its record is consistent, it holds every version
// the CLI acknowledged with the acknowledged spec, it grew by at most the
// one interrupted deploy, apps not being deployed did not change at all,
// every blob a record refers to is whole, blobs/tmp is empty, and the
// gateway serves exactly the current version's content.
func TestKillDuringDeploys(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts a real node 50 times; skipped with -short")
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(seedEnv); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("%s=%q: want an unsigned integer: %v", seedEnv, s, err)
		}
	}
	t.Logf("seed %d; replay with %s=%d go test ./tests/crash -run %s", seed, seedEnv, seed, t.Name())

	s := newScenario(t, rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)))
	n := startNode(t, s.data)
	n = s.warmUp(n)
	for round := 1; round <= deploys; round++ {
		n = s.crashRound(n, round)
	}
	t.Logf("kills: %v; acknowledged %d of %d deploys (%d unchanged); %d kills left an upload in blobs/tmp",
		s.stats.kills, s.stats.acked, deploys, s.stats.unchanged, s.stats.leftovers)
}

// scenario is the state of one run: the apps, what the CLI acknowledged,
// and how long deploys take here.
type scenario struct {
	t        *testing.T
	rng      *rand.Rand
	data     string // the node's data dir
	work     string // manifests of the site app are prepared here
	apps     []*crashApp
	deployed []*crashApp        // apps that get deployed during the rounds
	verified map[string]bool    // blob digests already hashed and found whole
	typical  map[bool]durations // by crashApp.site
	stats    struct {
		kills            map[string]int
		acked, unchanged int
		leftovers        int // kills that left an upload in blobs/tmp
	}
}

// durations are how long a deploy takes: the whole CLI run, and the part
// after the uploads (compile and store write on the node).
type durations struct{ total, server time.Duration }

// crashApp is an app in play and what the test knows about it.
type crashApp struct {
	name  string
	path  string // a path on the gateway the app answers
	route string
	site  bool // deployed from a manifest (echo.wasm, a static dir, env); otherwise version1/version2.wasm
	next  int  // which of the two modules a wasm app gets next

	acked map[int]wisp.AppSpec // acknowledged versions by number
	last  wisp.App             // the record after the previous restart
}

// attempt is a deploy the test starts: its CLI arguments and what the new
// version must hold if it was stored.
type attempt struct {
	args    []string
	module  string // digest
	round   string // the site app's ROUND env; "" for wasm apps
	cleanup func()
}

var (
	wasmModules = []string{"version1.wasm", "version2.wasm"}
	wasmBodies  = []string{"v1\n", "v2\n"}
)

func newScenario(t *testing.T, rng *rand.Rand) *scenario {
	s := &scenario{
		t: t, rng: rng, data: t.TempDir(), work: t.TempDir(),
		verified: map[string]bool{},
		typical:  map[bool]durations{},
	}
	s.stats.kills = map[string]int{}
	s.apps = []*crashApp{
		{name: "steady", path: "/steady", route: "/steady"},
		{name: "alpha", path: "/alpha", route: "/alpha"},
		{name: "beta", path: "/beta/x", route: "/beta/..."},
		{name: "site", path: "/site/page", route: "/site/...", site: true},
	}
	for _, a := range s.apps {
		a.acked = map[int]wisp.AppSpec{}
	}
	s.deployed = s.apps[1:] // steady is deployed once and must never change
	return s
}

// warmUp deploys every app without interruption, then deploys each app
// the rounds deploy three more times, each right after a restart as in the
// rounds, to learn how long deploys take on this machine. It returns the
// node after a restart and a first check.
func (s *scenario) warmUp(n *node) *node {
	s.t.Helper()
	samples := map[bool][]durations{}
	deploy := func(a *crashApp, round string) {
		at := s.prepare(a, round)
		defer at.cleanup()
		r := startDeploy(s.t, n, at.args...)
		r.wait(s.t, time.Minute)
		res, ok := acknowledgement(r)
		if !ok {
			s.t.Fatalf("warm-up deploy of %s failed: exit %d\nstdout: %s\nstderr: %s", a.name, r.exitCode, &r.stdout, &r.stderr)
		}
		s.record(a, res)
		samples[a.site] = append(samples[a.site], durations{r.elapsed, r.elapsed - r.uploaded})
	}
	for i, a := range s.apps {
		deploy(a, fmt.Sprintf("warmup-%d", i))
	}
	clear(samples) // first deploys upload and compile everything; the rounds mostly do not
	for i := range 3 {
		n.Kill()
		n = startNode(s.t, s.data)
		for _, a := range s.deployed {
			deploy(a, fmt.Sprintf("calibration-%d", i))
		}
	}
	s.typical[false], s.typical[true] = median(samples[false]), median(samples[true])
	s.t.Logf("typical deploy after a restart: module %+v, manifest %+v", s.typical[false], s.typical[true])
	for _, a := range s.apps {
		a.last = s.appRecord(n, a.name)
	}
	n.Kill()
	n = startNode(s.t, s.data)
	s.checkAll(n, nil, attempt{}, nil)
	return n
}

// median returns the median total and server durations of ds.
func median(ds []durations) durations {
	var total, server []time.Duration
	for _, d := range ds {
		total = append(total, d.total)
		server = append(server, d.server)
	}
	slices.Sort(total)
	slices.Sort(server)
	return durations{total[len(total)/2], server[len(server)/2]}
}

// crashRound starts one deploy, kills the node at a random moment, restarts
// it on the same data dir and checks every app. It returns the new node.
func (s *scenario) crashRound(n *node, round int) *node {
	t := s.t
	t.Helper()
	a := s.deployed[s.rng.IntN(len(s.deployed))]
	at := s.prepare(a, strconv.Itoa(round))
	defer at.cleanup()
	typ := s.typical[a.site]
	afterUpload := s.rng.IntN(2) == 0
	var delay time.Duration
	if afterUpload {
		delay = time.Duration(s.rng.Int64N(int64(typ.server)*5/4 + 1))
	} else {
		delay = time.Duration(s.rng.Int64N(int64(typ.total)*5/4 + 1))
	}

	r := startDeploy(t, n, at.args...)
	if afterUpload {
		select {
		case <-r.deploying:
		case <-r.done:
		}
	}
	select {
	case <-time.After(delay):
	case <-r.done:
	}
	moment := killMoment(r)
	n.Kill()
	r.wait(t, 30*time.Second)
	s.stats.kills[moment]++

	res, acked := acknowledgement(r)
	t.Logf("round %d: %s %s; kill %s after %s (%s): acknowledged %v",
		round, a.name, strings.Join(at.args, " "), map[bool]string{true: "after the uploads", false: "after the start"}[afterUpload], delay, moment, acked)
	var ack *wisp.DeployResult
	if acked {
		ack = &res
		s.stats.acked++
		if res.Unchanged {
			s.stats.unchanged++
		}
	}

	if left, _ := os.ReadDir(filepath.Join(s.data, "blobs", "tmp")); len(left) > 0 {
		s.stats.leftovers++ // the restart must remove it
	}
	n = startNode(t, s.data)
	s.checkAll(n, a, at, ack)
	return n
}

// killMoment says where the CLI was when the node was killed.
func killMoment(r *deployRun) string {
	select {
	case <-r.done:
		return "CLI had exited"
	default:
	}
	select {
	case <-r.deploying:
		return "during the deploy call"
	default:
		return "before or during the uploads"
	}
}

// acknowledgement returns the deploy result the CLI printed, and whether it
// acknowledged the deploy: exit 0 and a result naming a version.
func acknowledgement(r *deployRun) (wisp.DeployResult, bool) {
	var res wisp.DeployResult
	if r.exitCode != 0 || json.Unmarshal(r.stdout.Bytes(), &res) != nil || res.Version == 0 {
		return res, false
	}
	_, ok := res.App.Version(res.Version)
	return res, ok
}

// record notes an acknowledged deploy of a.
func (s *scenario) record(a *crashApp, res wisp.DeployResult) {
	v, _ := res.App.Version(res.Version)
	a.acked[res.Version] = v.Spec
}

// prepare builds the next deploy of a. A wasm app alternates between
// version1.wasm and version2.wasm; the site app gets a fresh copy of
// testdata/site with a greeting naming round and a padding file of random
// size (up to 4 MiB, so the upload takes a while), deployed with
// --env ROUND=round.
func (s *scenario) prepare(a *crashApp, round string) attempt {
	s.t.Helper()
	if !a.site {
		i := a.next
		a.next = 1 - a.next
		module := filepath.Join(repoRoot, "testdata", "wasm", wasmModules[i])
		return attempt{
			args:    []string{module, "--name", a.name, "--route", a.route},
			module:  fileDigest(s.t, module),
			cleanup: func() {},
		}
	}
	dir := filepath.Join(s.work, "site-"+round)
	copyDir(s.t, filepath.Join(repoRoot, "tests", "crash", "testdata", "site"), dir)
	copyFile(s.t, filepath.Join(repoRoot, "examples", "echo", "echo.wasm"), filepath.Join(dir, "echo.wasm"))
	greeting := filepath.Join(dir, "static", "greeting.txt")
	f, err := os.OpenFile(greeting, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		s.t.Fatal(err)
	}
	fmt.Fprintf(f, "round %s\n", round)
	if err := f.Close(); err != nil {
		s.t.Fatal(err)
	}
	pad := make([]byte, s.rng.IntN(4<<20))
	for i := range pad {
		pad[i] = byte(s.rng.Uint32())
	}
	if err := os.WriteFile(filepath.Join(dir, "static", "pad.bin"), pad, 0o644); err != nil {
		s.t.Fatal(err)
	}
	return attempt{
		args:    []string{dir, "--env", "ROUND=" + round},
		module:  fileDigest(s.t, filepath.Join(dir, "echo.wasm")),
		round:   round,
		cleanup: func() { os.RemoveAll(dir) },
	}
}

// checkAll checks every app on the restarted node n. deployed is the app
// whose deploy at was interrupted (nil after the warm-up), ack what the
// CLI acknowledged of it (nil: nothing).
func (s *scenario) checkAll(n *node, deployed *crashApp, at attempt, ack *wisp.DeployResult) {
	t := s.t
	t.Helper()
	var apps []wisp.App
	if err := json.Unmarshal([]byte(n.mustWisp("apps", "--output", "json")), &apps); err != nil {
		t.Fatalf("wisp apps --output json: %v", err)
	}
	var names []string
	for _, a := range apps {
		names = append(names, a.Name)
	}
	if want := []string{"alpha", "beta", "site", "steady"}; !slices.Equal(names, want) {
		t.Fatalf("after restart the node has apps %v, want %v", names, want)
	}
	for _, a := range s.apps {
		rec := s.appRecord(n, a.name)
		s.checkShape(a, rec)
		if a == deployed {
			s.checkDeployed(a, rec, at, ack)
		} else if !reflect.DeepEqual(rec, a.last) {
			t.Fatalf("app %s changed although nothing deployed it:\nbefore: %+v\nafter:  %+v", a.name, a.last, rec)
		}
		for num, spec := range a.acked {
			v, ok := rec.Version(num)
			if !ok {
				t.Fatalf("app %s lost acknowledged version %d; it has %v", a.name, num, versionNumbers(rec))
			}
			if !reflect.DeepEqual(v.Spec, spec) {
				t.Fatalf("app %s version %d is not the acknowledged one:\nstored:       %+v\nacknowledged: %+v", a.name, num, v.Spec, spec)
			}
		}
		s.checkBlobs(rec)
		s.checkServes(n, a, rec)
		a.last = rec
	}
	tmp, err := os.ReadDir(filepath.Join(s.data, "blobs", "tmp"))
	if err != nil {
		t.Fatalf("blobs/tmp after restart: %v", err)
	}
	if len(tmp) > 0 {
		var left []string
		for _, e := range tmp {
			left = append(left, e.Name())
		}
		t.Fatalf("blobs/tmp still holds %v after restart; the store should empty it when it opens", left)
	}
}

// checkShape checks that rec is a consistent record: versions numbered in
// increasing order and the newest one current (nothing here rolls back).
func (s *scenario) checkShape(a *crashApp, rec wisp.App) {
	s.t.Helper()
	if rec.Name != a.name || len(rec.Versions) == 0 {
		s.t.Fatalf("app %s: record %+v has another name or no versions", a.name, rec)
	}
	for i := 1; i < len(rec.Versions); i++ {
		if rec.Versions[i].Number <= rec.Versions[i-1].Number {
			s.t.Fatalf("app %s: version numbers out of order: %v", a.name, versionNumbers(rec))
		}
	}
	if _, ok := rec.Version(rec.Current); !ok {
		s.t.Fatalf("app %s: current version %d is not in its versions %v", a.name, rec.Current, versionNumbers(rec))
	}
	if newest := rec.Versions[len(rec.Versions)-1].Number; rec.Current != newest {
		s.t.Fatalf("app %s: current version is %d, want the newest, %d (nothing rolled back)", a.name, rec.Current, newest)
	}
}

// checkDeployed checks the record of the app whose deploy was interrupted:
// it kept every version it had, and gained the attempted version if and
// only if it was stored, as the acknowledged one if the CLI saw it.
func (s *scenario) checkDeployed(a *crashApp, rec wisp.App, at attempt, ack *wisp.DeployResult) {
	t := s.t
	t.Helper()
	before := a.last.Versions
	if len(rec.Versions) < len(before) || !reflect.DeepEqual(rec.Versions[:len(before)], before) {
		t.Fatalf("app %s lost or changed versions it had before the deploy:\nbefore: %+v\nafter:  %+v", a.name, before, rec.Versions)
	}
	added := rec.Versions[len(before):]
	if len(added) > 1 {
		t.Fatalf("app %s gained %d versions from one deploy: %+v", a.name, len(added), added)
	}
	if len(added) == 1 {
		spec := added[0].Spec
		if spec.Module != at.module || spec.Env["ROUND"] != at.round {
			t.Fatalf("app %s gained version %d with module %s and ROUND %q, want the attempted module %s and ROUND %q",
				a.name, added[0].Number, spec.Module, spec.Env["ROUND"], at.module, at.round)
		}
	}
	if ack == nil {
		return
	}
	if ack.Unchanged != (len(added) == 0) {
		t.Fatalf("app %s: the CLI acknowledged unchanged=%v (version %d) but the deploy added %d versions", a.name, ack.Unchanged, ack.Version, len(added))
	}
	if rec.Current != ack.Version {
		t.Fatalf("app %s: current version %d after restart, but the CLI acknowledged version %d", a.name, rec.Current, ack.Version)
	}
	s.record(a, *ack)
}

// checkServes checks that the gateway answers a with exactly its current
// version's content.
func (s *scenario) checkServes(n *node, a *crashApp, rec wisp.App) {
	t := s.t
	t.Helper()
	cur := rec.CurrentVersion()
	status, body := n.get(a.path)
	if a.site {
		want := "/static/greeting.txt:\n" + greetingPrefix(t) + "round " + cur.Spec.Env["ROUND"] + "\n"
		if status != 200 || !strings.HasSuffix(body, want) {
			t.Fatalf("GET %s = %d, want 200 ending in the greeting of version %d (ROUND %s) %q:\n%s",
				a.path, status, cur.Number, cur.Spec.Env["ROUND"], want, body)
		}
		return
	}
	want := ""
	for i, m := range wasmModules {
		if fileDigest(t, filepath.Join(repoRoot, "testdata", "wasm", m)) == cur.Spec.Module {
			want = wasmBodies[i]
		}
	}
	if want == "" {
		t.Fatalf("app %s: current version %d has module %s, which is neither %v", a.name, cur.Number, cur.Spec.Module, wasmModules)
	}
	if status != 200 || body != want {
		t.Fatalf("GET %s = %d %q, want 200 %q (version %d, module %s)", a.path, status, body, want, cur.Number, cur.Spec.Module)
	}
}

// checkBlobs checks that every blob rec refers to is in the data dir and
// hashes to its name. Blobs are immutable, so each is hashed once.
func (s *scenario) checkBlobs(rec wisp.App) {
	s.t.Helper()
	for _, v := range rec.Versions {
		digests := []string{v.Spec.Module}
		for _, f := range v.Spec.Files {
			digests = append(digests, f.Bundle)
		}
		for _, d := range digests {
			if s.verified[d] {
				continue
			}
			sum := strings.TrimPrefix(d, "sha256:")
			path := filepath.Join(s.data, "blobs", "sha256", sum[:2], sum)
			if got := fileDigest(s.t, path); got != d {
				s.t.Fatalf("app %s version %d: blob %s holds content with digest %s", rec.Name, v.Number, path, got)
			}
			s.verified[d] = true
		}
	}
}

// appRecord returns the app's record as `wisp app NAME --output json` prints it.
func (s *scenario) appRecord(n *node, name string) wisp.App {
	s.t.Helper()
	var app wisp.App
	if err := json.Unmarshal([]byte(n.mustWisp("app", name, "--output", "json")), &app); err != nil {
		s.t.Fatalf("wisp app %s --output json: %v", name, err)
	}
	return app
}

func versionNumbers(a wisp.App) []int {
	var ns []int
	for _, v := range a.Versions {
		ns = append(ns, v.Number)
	}
	return ns
}

// greetingPrefix is testdata/site/static/greeting.txt, to which each
// deploy appends its round.
func greetingPrefix(t *testing.T) string {
	b, err := os.ReadFile(filepath.Join(repoRoot, "tests", "crash", "testdata", "site", "static", "greeting.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// fileDigest returns "sha256:<hex>" of the file's content.
func fileDigest(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// copyDir copies the regular files and directories under src to dst.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
