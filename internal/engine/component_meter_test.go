package engine

import (
	"context"
	"errors"
	"io"
	goruntime "runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wisphq/wisp/internal/component/wasi"
)

// TestComponentMeter: a spinning component (extra/loop, the loop module
// wrapped as a command) is stopped at its CPU budget with a
// *CPULimitError, and at its deadline and on cancellation without
// wazero's WithCloseOnContextDone; the graph is not kept for reuse after.
func TestComponentMeter(t *testing.T) {
	e := newEngine(t, "")
	tc := compileComponent(t, e, "extra/loop")
	run := func(ctx context.Context, cpu time.Duration) (Usage, error) {
		var u Usage
		ctx, meter := StartMeter(ctx, cpu, &u)
		err := meter.Finish(tc.runCommand(ctx, &wasi.State{Stdout: io.Discard}))
		return u, err
	}
	u, err := run(context.Background(), 10*time.Millisecond)
	var cpu *CPULimitError
	if !errors.As(err, &cpu) || !errors.Is(err, ErrCPULimit) {
		t.Fatalf("err = %v; want a *CPULimitError", err)
	}
	if budget := FuelFor(10 * time.Millisecond); u.Fuel <= budget || u.Fuel > budget+1000 || cpu.Fuel != u.Fuel {
		t.Fatalf("stopped at %d fuel (error: %d); want just over %d", u.Fuel, cpu.Fuel, budget)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := run(ctx, time.Hour); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v; want the deadline", err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(30*time.Millisecond, cancel)
	if _, err := run(ctx, 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v; want Canceled", err)
	}
}

// TestComponentGraphSharesOneAccount: every core instance of a graph
// (printenv: the command, the preview 1 adapter, the shim and fixup)
// charges the run's one account, and the same run uses the same fuel every
// time. (printenv's graphs end in an exit and are not reused:
// TestReusedGraphIsMeteredAfresh covers reused graphs.)
func TestComponentGraphSharesOneAccount(t *testing.T) {
	e := newEngine(t, "")
	tc := compileComponent(t, e, "printenv")
	var fuel []int64
	for range 4 {
		var u Usage
		ctx, st := startMeter(context.Background(), Call{CPU: time.Second, Usage: &u})
		err := st.finish(tc.runCommand(ctx, &wasi.State{Env: []string{"A=1"}, Args: []string{"printenv"}, Stdout: io.Discard}))
		if err != nil {
			t.Fatal(err)
		}
		if st.joined < 2 {
			t.Fatalf("%d instances charged the run; want the graph's several", st.joined)
		}
		fuel = append(fuel, u.Fuel)
	}
	for _, f := range fuel {
		if f <= 0 || f != fuel[0] {
			t.Fatalf("runs used %v fuel; want the same every run", fuel)
		}
	}
	// A budget below what the run needs stops it, spread over instances.
	ctx, st := startMeter(context.Background(), Call{CPU: CPUTime(fuel[0] / 2)})
	if err := st.finish(tc.runCommand(ctx, &wasi.State{Env: []string{"A=1"}, Args: []string{"printenv"}, Stdout: io.Discard})); !errors.Is(err, ErrCPULimit) {
		t.Fatalf("half the fuel it needs: %v; want ErrCPULimit", err)
	}
}

// TestGCCompletesDuringComponentLoops is TestGCCompletesDuringGuestLoops
// for spinning components, which no longer run with
// WithCloseOnContextDone.
func TestGCCompletesDuringComponentLoops(t *testing.T) {
	e := newEngine(t, "")
	tc := compileComponent(t, e, "extra/loop")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var running atomic.Int32
	done := make(chan error, goruntime.GOMAXPROCS(0))
	for range cap(done) {
		go func() {
			running.Add(1)
			done <- tc.runCommand(ctx, &wasi.State{Stdout: io.Discard})
		}()
	}
	for running.Load() < int32(cap(done)) {
		goruntime.Gosched()
	}
	for i := 0; i < 5 && ctx.Err() == nil; i++ {
		goruntime.GC()
	}
	if ctx.Err() != nil {
		t.Fatal("5 GCs did not complete within 30s while components spun")
	}
	cancel()
	for range cap(done) {
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("run: %v, want Canceled", err)
		}
	}
}
