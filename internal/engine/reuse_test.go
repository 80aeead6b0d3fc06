package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// reuseProbe is testdata/wasm/isolation/reuseprobe.wat's reactor: it
// reports whether its memory, memory size, globals and table are as
// initialized, then dirties them and ends as its "mode=" argument says.
const reuseProbe = "isolation/reuseprobe-reactor.wasm"

// pristineReport is what reuseprobe reports from an instance in its
// initialized state (the CGI header and the lines up to mode=).
const pristineReport = "Content-Type: text/plain\n\npages=16\nforeign=0\nfirst=none\nnear=\n" +
	"globals=4916 287454020 1432778615 8\ntable=100 101\n"

// runProbe runs one request of the reuse probe in mode and returns its
// output.
func runProbe(ctx context.Context, p *Prepared, mode, secret string) (string, error) {
	var out bytes.Buffer
	err := p.Run(ctx, Call{Args: []string{"probe", "mode=" + mode, "secret=" + secret}, Stdout: &out})
	return out.String(), err
}

// checkPristine fails t unless out is the probe's report from a pristine
// instance for secret.
func checkPristine(t *testing.T, out, mode, secret string) {
	t.Helper()
	if want := pristineReport + "mode=" + mode + "\nsecret=" + secret + "\n"; out != want {
		t.Errorf("report:\n%s\nwant:\n%s", out, want)
	}
}

func reusePrepared(t *testing.T) *Prepared {
	t.Helper()
	p := mustPrepare(t, compile(t, newEngine(t, ""), reuseProbe, 2<<20), nil, nil)
	if p.pool == nil {
		t.Fatal("the reuse probe's Prepared has no instance pool: its snapshot was found not reusable")
	}
	return p
}

// reuseKinds are the two kinds of module whose instances are reused: a
// pre-initialized reactor and a command (reuse_command.go), each as the
// reuse probe builds it.
var reuseKinds = []struct {
	name    string
	prepare func(t *testing.T) *Prepared
}{
	{"reactor", reusePrepared},
	{"command", commandReusePrepared},
}

func TestReuseRunsRequestsOnOneInstance(t *testing.T) {
	for _, kind := range reuseKinds {
		t.Run(kind.name, func(t *testing.T) {
			p := kind.prepare(t)
			for i := range 5 {
				secret := fmt.Sprintf("secret-%d", i)
				out, err := runProbe(context.Background(), p, "ok", secret)
				if err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				checkPristine(t, out, "ok", secret)
			}
			if fresh, reused := p.pool.fresh.Load(), p.pool.reused.Load(); fresh != 1 || reused != 4 {
				t.Errorf("fresh, reused instances = %d, %d; want 1, 4", fresh, reused)
			}
		})
	}
}

// TestReuseDiscardsInstances ends a request in every way that must keep
// its instance from being reused and checks that the next request runs on
// a fresh instance, in the initialized state (a reactor's) or as
// instantiation leaves it (a command's).
func TestReuseDiscardsInstances(t *testing.T) {
	for _, tc := range []struct {
		mode    string
		timeout time.Duration // 0: none
		wantErr string        // "" for success
	}{
		{mode: "exit0"},
		{mode: "exit7", wantErr: "exited with code 7"},
		{mode: "trap", wantErr: "unreachable"},
		{mode: "oob", wantErr: "out of bounds"},
		{mode: "grow"},  // memory grew: cannot be reset
		{mode: "close"}, // fd_close(1): host-side state changed
		{mode: "loop", timeout: 100 * time.Millisecond, wantErr: "deadline exceeded"},
		{mode: "sleep", timeout: 100 * time.Millisecond, wantErr: "deadline exceeded"},
	} {
		for _, kind := range reuseKinds {
			t.Run(kind.name+"/"+tc.mode, func(t *testing.T) {
				p := kind.prepare(t)
				if _, err := runProbe(context.Background(), p, "ok", "warm"); err != nil { // an idle instance to take
					t.Fatal(err)
				}
				ctx := context.Background()
				if tc.timeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tc.timeout)
					defer cancel()
				}
				_, err := runProbe(ctx, p, tc.mode, "dirty")
				if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
					t.Fatalf("mode %s: error %v; want %q", tc.mode, err, tc.wantErr)
				}
				out, err := runProbe(context.Background(), p, "ok", "next")
				if err != nil {
					t.Fatal(err)
				}
				checkPristine(t, out, "ok", "next")
				if fresh, reused := p.pool.fresh.Load(), p.pool.reused.Load(); fresh != 2 || reused != 1 {
					t.Errorf("fresh, reused instances = %d, %d; want 2, 1 (the instance of mode %s discarded)", fresh, reused, tc.mode)
				}
			})
		}
	}
}

func TestReuseConcurrent(t *testing.T) {
	p := reusePrepared(t)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				mode := []string{"ok", "ok", "trap", "ok", "grow"}[(w+i)%5]
				secret := fmt.Sprintf("w%d-r%d", w, i)
				out, err := runProbe(context.Background(), p, mode, secret)
				if mode == "trap" {
					var trap *TrapError
					if !errors.As(err, &trap) {
						errs <- fmt.Errorf("%s: error %v, want a trap", secret, err)
					}
					continue
				}
				if want := pristineReport + "mode=" + mode + "\nsecret=" + secret + "\n"; err != nil || out != want {
					errs <- fmt.Errorf("%s: %v, report:\n%s", secret, err, out)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if p.pool.reused.Load() == 0 {
		t.Error("no request ran on a reused instance")
	}
	if n := p.pool.size(); n > maxIdleInstances {
		t.Errorf("%d idle instances, more than maxIdleInstances (%d)", n, maxIdleInstances)
	}
}

func TestReuseReleasesIdleInstances(t *testing.T) {
	e := newEngine(t, "")
	m := compile(t, e, reuseProbe, 2<<20)
	p, err := m.Prepare(context.Background(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	base := e.OffHeap() // initialization's memory may stay in the region pool
	p.pool.ttl = 50 * time.Millisecond
	if _, err := runProbe(context.Background(), p, "ok", "a"); err != nil {
		t.Fatal(err)
	}
	if p.pool.size() != 1 || e.OffHeap() <= base {
		t.Fatalf("after a request: %d idle instances, off-heap %d (before %d); want one, counted", p.pool.size(), e.OffHeap(), base)
	}
	waitFor(t, "the idle instance to expire", func() bool { return p.pool.size() == 0 && e.OffHeap() == base })

	if _, err := runProbe(context.Background(), p, "ok", "b"); err != nil {
		t.Fatal(err)
	}
	p.pool.ttl = time.Hour
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if p.pool.size() != 0 || e.OffHeap() != base {
		t.Errorf("after Close: %d idle instances, off-heap %d; want none, %d", p.pool.size(), e.OffHeap(), base)
	}
}

// TestReuseRefused: a reactor whose code can change its table (stateprobe
// sets and grows it) gets a fresh instance for every request.
func TestReuseRefused(t *testing.T) {
	p := mustPrepare(t, compile(t, newEngine(t, ""), "isolation/stateprobe-reactor.wasm", 2<<20), nil, nil)
	if p.pool != nil {
		t.Error("stateprobe's instances are reused, though its code sets and grows its table")
	}
}

// waitFor polls cond until it holds or 5 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
