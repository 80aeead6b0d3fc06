package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/telemetry"
)

// telemetryFlags are serve's flags for metrics; traces are configured by
// the standard OTEL_* variables (docs/observability.md).
type telemetryFlags struct {
	metrics, metricsVersions bool
}

func (f *telemetryFlags) define(fs *flagSet) {
	fs.BoolVar(&f.metrics, "metrics", true, "serve Prometheus metrics at GET /metrics on the admin listener, behind the admin token (docs/observability.md)")
	fs.BoolVar(&f.metricsVersions, "metrics-versions", true, "label per-app metrics with the app's version too; false: one set of series per app, which a deploy does not renew (fewer series over time)")
}

// observability is a node's metrics registry and trace exporter.
type observability struct {
	registry *prometheus.Registry
	observer *telemetry.Observer // nil: neither metrics nor traces
	traces   *sdktrace.TracerProvider
	metrics  http.Handler // nil: --metrics=false
	note     string       // the banner's line
}

// newObservability builds what --metrics and the OTEL_* variables ask for.
// Failed trace exports are noted on logger.
func newObservability(ctx context.Context, f telemetryFlags, nodeID string, logger *slog.Logger) (*observability, error) {
	version := versionString()
	o := &observability{registry: prometheus.NewRegistry()}
	tp, err := telemetry.TracesFromEnv(ctx, os.Getenv, version, nodeID, logger)
	if err != nil {
		return nil, fmt.Errorf("traces: %w", err)
	}
	o.traces = tp
	if !f.metrics && tp == nil {
		o.note = "metrics off (--metrics=false); traces off (set OTEL_EXPORTER_OTLP_ENDPOINT)"
		return o, nil
	}
	cfg := telemetry.Config{Registry: o.registry, NoVersionLabel: !f.metricsVersions}
	if tp != nil {
		cfg.Tracer = tp
	}
	if o.observer, err = telemetry.New(cfg); err != nil {
		return nil, err
	}
	o.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "wisp_build_info",
		Help:        "Always 1: the version of wisp and of Go this node runs, as labels.",
		ConstLabels: prometheus.Labels{"version": version, "goversion": runtime.Version()},
	})
	build.Set(1)
	o.registry.MustRegister(build)
	metrics, traces := "metrics at /metrics on the admin listener", "traces off (set OTEL_EXPORTER_OTLP_ENDPOINT)"
	if f.metrics {
		o.metrics = promhttp.HandlerFor(o.registry, promhttp.HandlerOpts{})
	} else {
		metrics = "metrics off (--metrics=false)"
	}
	if tp != nil {
		traces = "traces by OTLP (OTEL_* variables)"
	}
	o.note = metrics + "; " + traces
	return o, nil
}

// Observer returns the node's wisp.Observer: nil if nothing observes.
func (o *observability) Observer() wisp.Observer {
	if o.observer == nil {
		return nil
	}
	return o.observer
}

// watchNode adds the node's figures read at scrape time.
func (o *observability) watchNode(node *wisp.Node) {
	if o.observer != nil {
		o.registry.MustRegister(telemetry.NodeCollector(node))
	}
}

// watchNATS adds the state of the fleet's NATS connection.
func (o *observability) watchNATS(nc *nats.Conn) {
	o.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "wisp_fleet_nats_connected",
		Help: "1 while the node's connection to the fleet's NATS is up, 0 while it reconnects.",
	}, func() float64 {
		if nc.IsConnected() {
			return 1
		}
		return 0
	}))
	o.registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "wisp_fleet_nats_reconnects_total",
		Help: "Times the node's connection to the fleet's NATS was re-established.",
	}, func() float64 { return float64(nc.Stats().Reconnects) }))
}

// shutdown flushes the spans not yet exported, within a few seconds.
func (o *observability) shutdown(ctx context.Context) {
	if o.traces == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	o.traces.Shutdown(ctx)
}
