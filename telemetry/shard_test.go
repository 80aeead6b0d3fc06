package telemetry_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/telemetry"
)

// gather returns the metric of family name whose labels include want.
func gather(t *testing.T, reg *prometheus.Registry, name string, want map[string]string) *dto.Metric {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.Metric {
			have := map[string]string{}
			for _, lp := range m.Label {
				have[lp.GetName()] = lp.GetValue()
			}
			for k, v := range want {
				if have[k] != v {
					continue next
				}
			}
			return m
		}
	}
	t.Fatalf("no %s with labels %v", name, want)
	return nil
}

// TestConcurrentCountsAreExact: requests observed from many goroutines at
// once (their counts spread over shards) add up exactly, histograms
// included: each duration in its bucket, the sum to the nanosecond, and
// the gauges back at zero once every request ended.
func TestConcurrentCountsAreExact(t *testing.T) {
	reg := prometheus.NewRegistry()
	o, err := telemetry.New(telemetry.Config{Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	v := o.Version("shop", 3)
	defer v.Release()
	const goroutines, each = 8, 500
	durations := []time.Duration{300 * time.Microsecond, 2 * time.Millisecond, 20 * time.Second}
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			ctx := context.Background()
			for i := range each {
				_, m := v.Begin(ctx, wisp.Step{Kind: wisp.StepInstantiate})
				v.End(m, nil)
				_, m = v.Begin(ctx, wisp.Step{Kind: wisp.StepRun})
				v.End(m, nil)
				v.Used(1000, time.Microsecond, false)
				status := 200
				if (g+i)%2 == 1 {
					status = 503
				}
				v.Served(status, 10, 7, durations[i%len(durations)])
			}
		})
	}
	wg.Wait()
	labels := map[string]string{"app": "shop", "version": "3"}
	const n = goroutines * each
	h := gather(t, reg, "wisp_app_request_duration_seconds", labels).GetHistogram()
	if h.GetSampleCount() != n {
		t.Errorf("request count %d, want %d", h.GetSampleCount(), n)
	}
	var wantSum time.Duration
	for i := range each {
		wantSum += durations[i%len(durations)]
	}
	if got, want := h.GetSampleSum(), (wantSum * goroutines).Seconds(); got != want {
		t.Errorf("duration sum %v, want %v", got, want)
	}
	// 300 us is in the 0.5 ms bucket, 2 ms in 2.5 ms, 20 s in none but +Inf.
	perDuration := map[float64]uint64{0.0005: 0, 0.0025: 0}
	for i := range each {
		switch i % len(durations) {
		case 0:
			perDuration[0.0005]++
		case 1:
			perDuration[0.0025]++
		}
	}
	cumulative := map[float64]uint64{0.0005: perDuration[0.0005] * goroutines, 0.0025: (perDuration[0.0005] + perDuration[0.0025]) * goroutines, 10: (perDuration[0.0005] + perDuration[0.0025]) * goroutines}
	for _, b := range h.Bucket {
		if want, ok := cumulative[b.GetUpperBound()]; ok && b.GetCumulativeCount() != want {
			t.Errorf("bucket le=%v: %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), want)
		}
	}
	for class, want := range map[string]float64{"2xx": n / 2, "5xx": n / 2, "4xx": 0} {
		with := map[string]string{"app": "shop", "version": "3", "code": class}
		if got := gather(t, reg, "wisp_app_requests_total", with).GetCounter().GetValue(); got != want {
			t.Errorf("requests %s: %v, want %v", class, got, want)
		}
	}
	for name, want := range map[string]float64{
		"wisp_app_fuel_total":                n * 1000,
		"wisp_app_request_body_bytes_total":  n * 10,
		"wisp_app_response_body_bytes_total": n * 7,
	} {
		if got := gather(t, reg, name, labels).GetCounter().GetValue(); got != want {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
	if got, want := gather(t, reg, "wisp_app_cpu_seconds_total", labels).GetCounter().GetValue(), (n * time.Microsecond).Seconds(); got != want {
		t.Errorf("cpu seconds %v, want %v", got, want)
	}
	if got := gather(t, reg, "wisp_app_instance_start_seconds", labels).GetHistogram().GetSampleCount(); got != n {
		t.Errorf("instance starts %d, want %d", got, n)
	}
	if got := gather(t, reg, "wisp_app_instances_running", labels).GetGauge().GetValue(); got != 0 {
		t.Errorf("instances running %v after every request ended, want 0", got)
	}
}
