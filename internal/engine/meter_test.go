package engine

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// runWith runs m once with budget and timeout and returns the output, the
// error and what the call used.
func runWith(t testing.TB, m *Module, budget, timeout time.Duration) (string, error, Usage) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var out bytes.Buffer
	var u Usage
	err := mustPrepare(t, m, nil, nil).Run(ctx, Call{Args: []string{"x"}, Stdout: &out, CPU: budget, Usage: &u})
	return out.String(), err, u
}

func TestRunStopsAtCPUBudget(t *testing.T) {
	e := newEngine(t, "")
	for _, tc := range []struct {
		name, fixture string
	}{
		{"command loop", "loop.wasm"},
		{"command loop writing memory", "spin.wasm"},
		{"reactor loop", "spin-reactor.wasm"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := compile(t, e, tc.fixture, 1<<20)
			budget := 20 * time.Millisecond
			_, err, u := runWith(t, m, budget, time.Minute)
			var cpu *CPULimitError
			if !errors.As(err, &cpu) || !errors.Is(err, ErrCPULimit) {
				t.Fatalf("Run: %v, want a *CPULimitError", err)
			}
			if want := FuelFor(budget); u.Fuel <= want || u.Fuel > want+1000 || cpu.Fuel != u.Fuel {
				t.Fatalf("stopped after %d fuel (error says %d), want just over %d", u.Fuel, cpu.Fuel, want)
			}
			if !strings.Contains(err.Error(), "cpu limit of 20ms") {
				t.Fatalf("error %q does not name the limit", err)
			}
			// The same fuel every time.
			if _, _, again := runWith(t, m, budget, time.Minute); again != u {
				t.Fatalf("second run used %+v, first %+v", again, u)
			}
		})
	}
}

func TestRunStopsAtDeadlineWithinBudget(t *testing.T) {
	e := newEngine(t, "")
	m := compile(t, e, "loop.wasm", 1<<20)
	start := time.Now()
	_, err, u := runWith(t, m, 0, 100*time.Millisecond)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Run: %v, want DeadlineExceeded", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatalf("a 100ms deadline took %s to stop the guest", time.Since(start))
	}
	if u.Fuel <= 0 {
		t.Fatalf("usage %+v after 100ms of a loop", u)
	}
}

func TestRunReportsDeterministicUsage(t *testing.T) {
	e := newEngine(t, "")
	for _, name := range []string{"counter.wasm", "reactor.wasm"} {
		m := compile(t, e, name, 1<<20)
		_, err, first := runWith(t, m, time.Second, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if first.Fuel <= 0 || first.CPU != CPUTime(first.Fuel) {
			t.Fatalf("%s: usage %+v", name, first)
		}
		for range 3 {
			if _, _, u := runWith(t, m, time.Second, time.Minute); u != first {
				t.Fatalf("%s: usage %+v, then %+v", name, first, u)
			}
		}
	}
}

// TestGCCompletesDuringGuestLoops runs guests spinning in tight loops on
// every core while the test forces garbage collections. A goroutine in
// compiled guest code cannot be preempted, so without the guests passing
// through the host (refuel, every refuelQuantum of fuel), where the Go
// runtime can stop them, the first stop-the-world would wait for the
// guests' deadline. The bound is generous: a loaded CI machine is slow,
// but not 30s slow.
func TestGCCompletesDuringGuestLoops(t *testing.T) {
	e := newEngine(t, "")
	m := compile(t, e, "loop.wasm", 1<<20)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var running atomic.Int32
	done := make(chan error, goruntime.GOMAXPROCS(0))
	p := mustPrepare(t, m, nil, nil)
	for range cap(done) {
		go func() {
			running.Add(1)
			done <- p.Run(ctx, Call{Args: []string{"x"}})
		}()
	}
	for running.Load() < int32(cap(done)) {
		goruntime.Gosched()
	}
	var slowest time.Duration
	for i := 0; i < 5 && ctx.Err() == nil; i++ {
		start := time.Now()
		goruntime.GC()
		slowest = max(slowest, time.Since(start))
	}
	if ctx.Err() != nil {
		t.Fatalf("5 GCs did not complete within 30s while guests spun (slowest %s)", slowest)
	}
	cancel()
	for range cap(done) {
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("Run: %v, want Canceled", err)
		}
	}
	t.Logf("slowest of 5 GCs beside %d spinning guests: %s", cap(done), slowest)
}

// TestReusedInstanceIsMeteredAfresh runs a reactor four times on one
// Prepared: the later runs reuse the pooled instance, whose fuel counter
// must be reset, so every run reports the same fuel.
func TestReusedInstanceIsMeteredAfresh(t *testing.T) {
	e := newEngine(t, "")
	m := compile(t, e, "reactor.wasm", 1<<20)
	p := mustPrepare(t, m, nil, nil)
	var first Usage
	for i := range 4 {
		var u Usage
		if err := p.Run(context.Background(), Call{Args: []string{"x"}, CPU: time.Second, Usage: &u}); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = u
		} else if u != first {
			t.Fatalf("run %d used %+v, the first %+v", i+1, u, first)
		}
	}
	if p.pool == nil || p.pool.reused.Load() == 0 {
		t.Skip("the instance was not reused (reuse off on this platform): nothing more to check")
	}
	if first.Fuel <= 0 {
		t.Fatalf("usage %+v", first)
	}
}

// TestCompileSurvivesAWazeroPanic compiles a module on which wazero's
// validation panics: Compile refuses it as invalid, and the process lives.
func TestCompileSurvivesAWazeroPanic(t *testing.T) {
	wasm, err := os.ReadFile(filepath.Join("testdata", "wazeropanic.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	e := newEngine(t, "")
	_, err = e.Compile(context.Background(), wasm, 1<<20)
	if !errors.Is(err, ErrInvalidModule) || !strings.Contains(err.Error(), "wazero failed while validating it") {
		t.Fatalf("Compile: %v, want ErrInvalidModule naming wazero's failure", err)
	}
}
