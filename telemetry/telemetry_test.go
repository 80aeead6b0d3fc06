package telemetry_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/telemetry"
)

// series counts the series of family name in reg.
func series(t *testing.T, reg *prometheus.Registry, name string) int {
	t.Helper()
	n, err := testutil.GatherAndCount(reg, name)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestVersionSeriesLifetime checks that a version's series exist from
// Version to its Release, and that without the version label two versions
// of an app share them until the last is released.
func TestVersionSeriesLifetime(t *testing.T) {
	tests := []struct {
		name      string
		noVersion bool
		// series of wisp_app_requests_total with versions 1 and 2 loaded,
		// then with only 2
		both, second int
	}{
		{"per version", false, 10, 5},
		{"one set per app", true, 5, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			o, err := telemetry.New(telemetry.Config{Registry: reg, NoVersionLabel: tt.noVersion})
			if err != nil {
				t.Fatal(err)
			}
			v1, v2 := o.Version("shop", 1), o.Version("shop", 2)
			if got := series(t, reg, "wisp_app_requests_total"); got != 0 {
				t.Fatalf("before any request: %d series, want none", got)
			}
			v1.Served(200, 10, 20, time.Millisecond)
			v2.Served(200, 10, 20, time.Millisecond)
			if got := series(t, reg, "wisp_app_requests_total"); got != tt.both {
				t.Fatalf("two versions: %d series, want %d", got, tt.both)
			}
			v1.Release()
			if got := series(t, reg, "wisp_app_requests_total"); got != tt.second {
				t.Fatalf("after releasing version 1: %d series, want %d", got, tt.second)
			}
			v2.Release()
			for _, family := range []string{"wisp_app_requests_total", "wisp_app_request_duration_seconds", "wisp_app_rejections_total", "wisp_app_host_call_duration_seconds", "wisp_app_guest_memory_high_water_bytes"} {
				if got := series(t, reg, family); got != 0 {
					t.Errorf("after releasing both: %s has %d series", family, got)
				}
			}
		})
	}
}

// TestSeriesPerApp checks the number of series one app costs, which
// docs/observability.md gives.
func TestSeriesPerApp(t *testing.T) {
	reg := prometheus.NewRegistry()
	o, err := telemetry.New(telemetry.Config{Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	before := exposedSeries(t, reg)
	o.Version("shop", 1).Served(200, 0, 0, time.Millisecond)
	if got := exposedSeries(t, reg) - before; got != 87 {
		t.Errorf("one app: %d series, want 87 (update docs/observability.md)", got)
	}
}

// exposedSeries counts the series of reg as the text exposition has them
// (a histogram is a series per bucket, plus _sum and _count).
func exposedSeries(t *testing.T, reg *prometheus.Registry) int {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, mf := range mfs {
		for _, m := range mf.Metric {
			if h := m.GetHistogram(); h != nil {
				n += len(h.Bucket) + 3 // the buckets, +Inf, _sum, _count
				continue
			}
			n++
		}
	}
	return n
}

// TestServedCountsByClass checks the status classes and byte counters.
func TestServedCountsByClass(t *testing.T) {
	reg := prometheus.NewRegistry()
	o, err := telemetry.New(telemetry.Config{Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	v := o.Version("shop", 3)
	for _, status := range []int{200, 204, 404, 503, 499} {
		v.Served(status, 100, 1000, time.Millisecond)
	}
	v.Rejected(wisp.RejectMemory)
	v.InstanceEnded(2 << 20)
	v.InstanceEnded(1 << 20) // a high-water mark never goes down
	want := `
# HELP wisp_app_requests_total Requests an app answered, by status class (1xx to 5xx; the node's own answers for it, such as 503 or 504, included).
# TYPE wisp_app_requests_total counter
wisp_app_requests_total{app="shop",code="1xx",version="3"} 0
wisp_app_requests_total{app="shop",code="2xx",version="3"} 2
wisp_app_requests_total{app="shop",code="3xx",version="3"} 0
wisp_app_requests_total{app="shop",code="4xx",version="3"} 2
wisp_app_requests_total{app="shop",code="5xx",version="3"} 1
# HELP wisp_app_response_body_bytes_total Bytes of response bodies written for the app.
# TYPE wisp_app_response_body_bytes_total counter
wisp_app_response_body_bytes_total{app="shop",version="3"} 5000
# HELP wisp_app_guest_memory_high_water_bytes The largest linear memory any instance of the app reached, in bytes, since the version was loaded.
# TYPE wisp_app_guest_memory_high_water_bytes gauge
wisp_app_guest_memory_high_water_bytes{app="shop",version="3"} 2.097152e+06
# HELP wisp_app_rejections_total Invocations and requests the node refused before running them (answered 503), by reason: queue_full, queue_timeout, instances, memory, app_share.
# TYPE wisp_app_rejections_total counter
wisp_app_rejections_total{app="shop",reason="app_share",version="3"} 0
wisp_app_rejections_total{app="shop",reason="instances",version="3"} 0
wisp_app_rejections_total{app="shop",reason="memory",version="3"} 1
wisp_app_rejections_total{app="shop",reason="queue_full",version="3"} 0
wisp_app_rejections_total{app="shop",reason="queue_timeout",version="3"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "wisp_app_requests_total", "wisp_app_response_body_bytes_total", "wisp_app_guest_memory_high_water_bytes", "wisp_app_rejections_total"); err != nil {
		t.Error(err)
	}
}

// TestUsedCountsCPU checks the CPU counters: fuel and CPU time add up,
// and a stop at limits.cpu is counted.
func TestUsedCountsCPU(t *testing.T) {
	reg := prometheus.NewRegistry()
	o, err := telemetry.New(telemetry.Config{Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	v := o.Version("shop", 3)
	v.Used(400_000, 100*time.Microsecond, false)
	v.Used(4_000_000, time.Millisecond, true)
	v.Used(0, 0, false) // nothing metered: nothing added
	want := `
# HELP wisp_app_cpu_limit_stops_total Invocations of the app stopped at their limits.cpu (answered 503).
# TYPE wisp_app_cpu_limit_stops_total counter
wisp_app_cpu_limit_stops_total{app="shop",version="3"} 1
# HELP wisp_app_cpu_seconds_total CPU time the app's invocations used, as metered (fuel at the fixed rate of docs/cpu.md), modules and components alike.
# TYPE wisp_app_cpu_seconds_total counter
wisp_app_cpu_seconds_total{app="shop",version="3"} 0.0011
# HELP wisp_app_fuel_total Fuel the app's invocations used: the deterministic count of their work that limits.cpu enforces.
# TYPE wisp_app_fuel_total counter
wisp_app_fuel_total{app="shop",version="3"} 4.4e+06
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "wisp_app_cpu_seconds_total", "wisp_app_fuel_total", "wisp_app_cpu_limit_stops_total"); err != nil {
		t.Error(err)
	}
}

// TestTracesFromEnv checks when the OTEL_* variables turn traces on, and
// the errors for what this node does not support.
func TestTracesFromEnv(t *testing.T) {
	collector := httptest.NewServer(nil) // never sent to: nothing is traced here
	defer collector.Close()
	tests := []struct {
		name    string
		env     map[string]string
		on      bool
		wantErr string
	}{
		{"nothing set: off", nil, false, ""},
		{"an endpoint: on", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": collector.URL}, true, ""},
		{"a traces endpoint: on", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": collector.URL + "/v1/traces"}, true, ""},
		{"exporter otlp: on", map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, true, ""},
		{"exporter none wins", map[string]string{"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": collector.URL}, false, ""},
		{"SDK disabled wins", map[string]string{"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": collector.URL}, false, ""},
		{"another exporter", map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, false, `OTEL_TRACES_EXPORTER="zipkin": this node exports traces only by OTLP`},
		{"gRPC", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": collector.URL, "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, false, `OTEL_EXPORTER_OTLP_PROTOCOL="grpc": this node sends OTLP over HTTP with protobuf only`},
		{"the traces protocol wins", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": collector.URL, "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/protobuf"}, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp, err := telemetry.TracesFromEnv(context.Background(), func(k string) string { return tt.env[k] }, "test", "node-1", nil)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (tp != nil) != tt.on {
				t.Fatalf("traces on: %v, want %v", tp != nil, tt.on)
			}
			if tp != nil {
				tp.Shutdown(context.Background())
			}
		})
	}
}
