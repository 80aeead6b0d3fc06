package plugin_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/wisphq/wisp/plugin"
)

// usageLog records what Config.OnUsage reports.
type usageLog struct {
	mu   sync.Mutex
	last map[string]plugin.Usage
}

func (l *usageLog) record(_ context.Context, fn string, u plugin.Usage) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.last == nil {
		l.last = map[string]plugin.Usage{}
	}
	l.last[fn] = u
}

func (l *usageLog) get(fn string) plugin.Usage {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last[fn]
}

// TestCPULimit: a runaway plugin is stopped at its CPU budget (long before
// its timeout), the error a *CPULimitError naming the limit with the fuel
// just over the budget, and the usage callback reports that fuel; the
// same plugin is still stopped at its deadline when the budget is larger,
// and by cancellation.
func TestCPULimit(t *testing.T) {
	var log usageLog
	p := loadABI(t, plugin.Config{OnUsage: log.record})
	ctx := context.Background()

	start := time.Now()
	_, err := p.CallWith(ctx, "spin", nil, plugin.Limits{CPU: 10 * time.Millisecond, Timeout: time.Minute})
	var cpu *plugin.CPULimitError
	if !errors.As(err, &cpu) || !errors.Is(err, plugin.ErrCPULimit) {
		t.Fatalf("err = %v; want a *CPULimitError", err)
	}
	budget := int64(10 * plugin.FuelPerMillisecond)
	if cpu.Limit != 10*time.Millisecond || cpu.Fuel <= budget || cpu.Fuel > budget+1000 {
		t.Fatalf("stopped with %+v; want the 10ms limit and fuel just over %d", cpu, budget)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Fatalf("stopping took %s", d)
	}
	if u := log.get("spin"); u.Fuel != cpu.Fuel || u.CPU != time.Duration(cpu.Fuel*int64(time.Millisecond)/plugin.FuelPerMillisecond) {
		t.Fatalf("OnUsage got %+v; want the fuel of the error, %d", u, cpu.Fuel)
	}

	// A budget larger than the timeout: the deadline stops it.
	_, err = p.CallWith(ctx, "spin", nil, plugin.Limits{CPU: time.Hour, Timeout: 50 * time.Millisecond})
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, plugin.ErrCPULimit) {
		t.Fatalf("err = %v; want the deadline", err)
	}
	// Cancellation stops it too.
	cctx, cancel := context.WithCancel(ctx)
	time.AfterFunc(30*time.Millisecond, cancel)
	if _, err = p.Call(cctx, "spin", nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v; want context.Canceled", err)
	}
	// And the plugin still works.
	if out, err := p.CallWith(ctx, "upper", []byte("ok"), plugin.Limits{CPU: time.Millisecond}); err != nil || string(out) != "OK" {
		t.Fatalf("after the runaways: %q, %v", out, err)
	}
}

// TestCPUUsageDeterministic: the same call uses the same fuel every time,
// in a fresh instance or one kept (whose fuel left from its last call is
// not counted), and an Instance's runaway is stopped at its budget too.
func TestCPUUsageDeterministic(t *testing.T) {
	var log usageLog
	p := loadABI(t, plugin.Config{OnUsage: log.record})
	ctx := context.Background()
	in := []byte("The quick brown fox jumps over the lazy dog")
	var fuel []int64
	for range 3 {
		if _, err := p.Call(ctx, "upper", in); err != nil {
			t.Fatal(err)
		}
		fuel = append(fuel, log.get("upper").Fuel)
	}
	inst, err := p.NewInstance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close(ctx)
	var kept []int64
	for range 3 {
		if _, err := inst.Call(ctx, "upper", in); err != nil {
			t.Fatal(err)
		}
		kept = append(kept, log.get("upper").Fuel)
	}
	if fuel[0] <= 0 || fuel[1] != fuel[0] || fuel[2] != fuel[0] {
		t.Fatalf("fresh calls used %v fuel; want the same, above 0", fuel)
	}
	if kept[0] <= 0 || kept[1] != kept[0] || kept[2] != kept[0] {
		t.Fatalf("calls on a kept instance used %v fuel; want the same, above 0", kept)
	}
	if _, err := inst.CallWith(ctx, "spin", nil, plugin.Limits{CPU: 5 * time.Millisecond, Timeout: time.Minute}); !errors.Is(err, plugin.ErrCPULimit) {
		t.Fatalf("instance runaway: %v; want ErrCPULimit", err)
	}
	if out, err := inst.Call(ctx, "upper", []byte("again")); err != nil || string(out) != "AGAIN" {
		t.Fatalf("instance after its runaway: %q, %v", out, err)
	}
}

// TestGCCompletesDuringPluginLoops: plugins run without wazero's
// WithCloseOnContextDone, so their metering's refuel call is where the Go
// runtime stops a spinning guest: garbage collections complete while
// runaway calls spin (without it they would wait for the calls' end).
func TestGCCompletesDuringPluginLoops(t *testing.T) {
	p := loadABI(t, plugin.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var running sync.WaitGroup
	n := runtime.GOMAXPROCS(0)
	running.Add(n)
	done := make(chan error, n)
	for range n {
		go func() {
			running.Done()
			_, err := p.CallWith(ctx, "spin", nil, plugin.Limits{Timeout: time.Minute})
			done <- err
		}()
	}
	running.Wait()
	for i := 0; i < 5 && ctx.Err() == nil; i++ {
		runtime.GC()
	}
	if ctx.Err() != nil {
		t.Fatal("5 GCs did not complete within 30s while plugins spun")
	}
	cancel()
	for range n {
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("spin: %v; want Canceled", err)
		}
	}
}
