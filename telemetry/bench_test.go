package telemetry_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/telemetry"
)

// BenchmarkVersionRequest is what a node tells a version's observer about
// one request served by a metered module, with metrics on and traces off:
// admission, instantiate, run, memory, usage and the answer. Serial, and
// from every P at once (the series are then updated from several cores,
// as under load).
func BenchmarkVersionRequest(b *testing.B) {
	o, err := telemetry.New(telemetry.Config{Registry: prometheus.NewRegistry()})
	if err != nil {
		b.Fatal(err)
	}
	v := o.Version("hello", 1)
	defer v.Release()
	ctx := context.Background()
	request := func() {
		_, m := v.Begin(ctx, wisp.Step{Kind: wisp.StepAdmission})
		v.End(m, nil)
		_, m = v.Begin(ctx, wisp.Step{Kind: wisp.StepInstantiate})
		v.End(m, nil)
		_, m = v.Begin(ctx, wisp.Step{Kind: wisp.StepRun})
		v.InstanceEnded(128 << 10)
		v.End(m, nil)
		v.Used(20_000, 5*time.Microsecond, false)
		v.Served(200, 0, 14, 7*time.Microsecond)
		o.EndRequest(wisp.Mark{}, 200, "hello", "/hello")
	}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			request()
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				request()
			}
		})
	})
}

// BenchmarkAppHeap reports the heap a served app's series take in the
// node (B/app): 1,000 apps, one request each, measured after a GC.
func BenchmarkAppHeap(b *testing.B) {
	const apps = 1000
	for b.Loop() {
		o, err := telemetry.New(telemetry.Config{Registry: prometheus.NewRegistry()})
		if err != nil {
			b.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		versions := make([]wisp.VersionObserver, apps)
		for i := range versions {
			versions[i] = o.Version(fmt.Sprintf("app-%d", i), 1)
			versions[i].Served(200, 0, 10, time.Millisecond)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/apps, "B/app")
		runtime.KeepAlive(versions)
	}
}
