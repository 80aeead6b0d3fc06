package wisp_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/memstore"
)

// recorder is a wisp.Observer that writes down what it is told, as lines.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) add(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, fmt.Sprintf(format, args...))
}

func (r *recorder) lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

func (r *recorder) Version(app string, version int) wisp.VersionObserver {
	r.add("version %s %d", app, version)
	return &versionRecorder{r: r, name: fmt.Sprintf("%s@%d", app, version)}
}
func (r *recorder) BeginRequest(ctx context.Context, _ *http.Request) (context.Context, wisp.Mark) {
	return ctx, wisp.Mark{Start: time.Now()}
}
func (r *recorder) EndRequest(_ wisp.Mark, status int, app, route string) {
	r.add("request %d %s %s", status, app, route)
}
func (r *recorder) Begin(ctx context.Context, s wisp.Step) (context.Context, wisp.Mark) {
	return ctx, wisp.Mark{Step: s}
}
func (r *recorder) End(m wisp.Mark, err error) { r.add("node end %s", m.Step.Kind) }
func (r *recorder) Inject(ctx context.Context, h http.Header) {
	h.Set("X-Injected", "yes")
}
func (r *recorder) Deployed(o wisp.DeployOutcome, _ time.Duration) { r.add("deploy %s", o) }
func (r *recorder) StoreCall(op string, _ time.Duration, err error) {
	if op == "PutApp" { // the others vary with the path taken
		r.add("store %s %v", op, err)
	}
}
func (r *recorder) FleetApplied(time.Duration) {}

type versionRecorder struct {
	r    *recorder
	name string
}

func (v *versionRecorder) Begin(ctx context.Context, s wisp.Step) (context.Context, wisp.Mark) {
	v.r.add("%s begin %s %s %s", v.name, s.Kind, s.Op, s.Target)
	return ctx, wisp.Mark{Step: s}
}
func (v *versionRecorder) End(m wisp.Mark, err error) {
	v.r.add("%s end %s %v", v.name, m.Step.Kind, err != nil)
}
func (v *versionRecorder) Rejected(reason wisp.Rejection) { v.r.add("%s rejected %s", v.name, reason) }
func (v *versionRecorder) Served(status int, body, response int64, _ time.Duration) {
	v.r.add("%s served %d %d %d", v.name, status, body, response)
}
func (v *versionRecorder) InstanceEnded(peak int64) {
	v.r.add("%s memory %v", v.name, peak >= 64<<10)
}
func (v *versionRecorder) Used(fuel int64, cpu time.Duration, stopped bool) {
	v.r.add("%s used %v %v %v", v.name, fuel > 0, cpu == time.Duration(fuel)*time.Millisecond/wisp.FuelPerMillisecond, stopped)
}
func (v *versionRecorder) Release() { v.r.add("%s release", v.name) }

// TestObserverSeesEachStep runs one invocation that calls every observed
// service and checks the steps the Observer saw, in order, and that the
// outbound request carried what Inject wrote.
func TestObserverSeesEachStep(t *testing.T) {
	injected := make(chan string, 1)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		injected <- r.Header.Get("X-Injected")
	}))
	defer upstream.Close()
	rec := &recorder{}
	n := servicesNode(t, wisp.Config{Observer: rec}, nil)
	script(t, n, "open default;set k v;get nope;var greeting;send GET "+upstream.URL+"/x")
	if got := <-injected; got != "yes" {
		t.Errorf("the upstream got X-Injected %q: the outbound request did not carry the trace", got)
	}
	want := []string{
		"version svc 1",
		"deploy deployed",
		"store PutApp <nil>",
		"svc@1 begin admission  ",
		"svc@1 end admission false",
		"svc@1 begin instantiate  ",
		"svc@1 end instantiate false",
		"svc@1 begin run  ",
		"svc@1 begin kv set default",
		"svc@1 end kv false",
		"svc@1 begin kv get default",
		"svc@1 end kv true", // not found: an error, which observers may ignore
		"svc@1 begin config get greeting",
		"svc@1 end config false",
		"svc@1 begin outbound GET " + upstream.URL + "/x",
		"svc@1 end outbound false",
		"svc@1 memory true", // reported as the instance closes, within the run
		"svc@1 end run false",
		"svc@1 used true true false", // the invocation's CPU, once it ended
	}
	got := rec.lines()
	// The deploy's own store calls come before its Deployed.
	if i := slices.Index(got, "store PutApp <nil>"); i >= 0 {
		got = slices.Delete(got, i, i+1)
		got = slices.Insert(got, 2, "store PutApp <nil>")
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("observed:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestObserverCountsRejections fills an app's slot and queue (a module
// sleeping 1.5s, max_concurrency 1) and checks the refusal's reason.
func TestObserverCountsRejections(t *testing.T) {
	rec := &recorder{}
	n, err := wisp.New(wisp.Config{Store: memstore.New(), Observer: rec})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close(context.Background()) })
	if err := n.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	spec := wisp.AppSpec{Name: "slow", Module: upload(t, n, "slow.wasm"), Routes: routes(t, "/slow")}
	spec.Limits.MaxConcurrency = 1
	if _, err := n.Deploy(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 2 { // one runs, one waits
		wg.Go(func() { invoke(n, "slow") })
	}
	// Wait until both are admitted or queued, then a third is refused.
	pollUntil(t, 5*time.Second, func() bool { return strings.Count(strings.Join(rec.lines(), "\n"), "begin admission") >= 2 })
	_, err = invoke(n, "slow")
	wg.Wait()
	if !strings.Contains(fmt.Sprint(err), "max_concurrency") {
		t.Fatalf("third invocation: %v, want a refusal at max_concurrency", err)
	}
	if !slices.Contains(rec.lines(), "slow@1 begin queue  ") || !slices.Contains(rec.lines(), "slow@1 end queue false") {
		t.Errorf("the waiting invocation was not observed in the queue:\n%s", strings.Join(rec.lines(), "\n"))
	}
	if !slices.Contains(rec.lines(), "slow@1 rejected queue_full") {
		t.Errorf("no queue_full rejection observed:\n%s", strings.Join(rec.lines(), "\n"))
	}
}

// pollUntil waits until cond holds, failing the test after timeout.
func pollUntil(t *testing.T, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s", timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestObserverSeesReactorRuns checks the instantiate and run steps of a
// pre-initialized reactor, whose second request may run on a reused
// instance: every run has both steps and reports its memory.
func TestObserverSeesReactorRuns(t *testing.T) {
	rec := &recorder{}
	n, err := wisp.New(wisp.Config{Store: memstore.New(), Observer: rec})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close(context.Background()) })
	if err := n.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	deploy(t, n, "reactor", "reactor.wasm", "/reactor")
	for range 3 {
		if _, err := invoke(n, "reactor"); err != nil {
			t.Fatal(err)
		}
	}
	lines := strings.Join(rec.lines(), "\n")
	for _, want := range []string{"begin instantiate", "end instantiate false", "begin run", "end run false", "memory true"} {
		if got := strings.Count(lines, "reactor@1 "+want); got != 3 {
			t.Errorf("%q observed %d times in 3 runs:\n%s", want, got, lines)
		}
	}
}
