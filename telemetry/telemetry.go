// Package telemetry implements wisp.Observer: Prometheus metrics on a
// registry the caller passes in, and OpenTelemetry traces through a
// TracerProvider the caller passes in (TracesFromEnv builds one from the
// standard OTEL_* variables). docs/observability.md lists every metric,
// its labels and what each app costs in series.
//
// Nothing here is global: New registers its collectors on Config.Registry
// and nothing else, and NodeCollector reads a node's figures at scrape
// time. An Observer is safe for concurrent use.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/wisphq/wisp"
)

// Config configures an Observer.
type Config struct {
	// Registry receives the metrics. Required.
	Registry prometheus.Registerer
	// NoVersionLabel drops the version label from the per-app metrics:
	// the versions of one app then share their series, which do not
	// churn with every deploy (`wisp serve --metrics-versions=false`).
	// Default false: per app and version.
	NoVersionLabel bool
	// Tracer, if set, traces requests (TracesFromEnv). Nil: no traces,
	// and nothing of OpenTelemetry on the request path.
	Tracer trace.TracerProvider
}

// Observer is a wisp.Observer over Prometheus and OpenTelemetry.
type Observer struct {
	versionLabel bool
	tracer       trace.Tracer // nil: not tracing
	propagator   propagation.TextMapPropagator
	epoch        time.Time // New's time: untraced steps are timed from it
	// slots hand each P (in effect, each core) a slot number it keeps:
	// a sync.Pool's items stay with the P that put them back. A slot picks
	// the shard of a label set's counts the caller updates (seriesSet).
	slots    sync.Pool // of *uint32, pointing into slotIDs
	slotIDs  []uint32
	nextSlot atomic.Uint32

	app appMetrics

	unrouted     *prometheus.CounterVec
	deploys      *prometheus.CounterVec
	deployTime   prometheus.Histogram
	storeTime    *prometheus.HistogramVec
	storeErrors  *prometheus.CounterVec
	fleetLag     prometheus.Histogram
	versionsMu   sync.Mutex
	versionsByID map[versionKey]*versionMetrics
}

var _ wisp.Observer = (*Observer)(nil)

// New returns an Observer with its metrics registered on cfg.Registry. It
// fails if the registry already has metrics of the same names.
func New(cfg Config) (*Observer, error) {
	if cfg.Registry == nil {
		return nil, errors.New("telemetry.New: Config.Registry is required")
	}
	o := &Observer{
		versionLabel: !cfg.NoVersionLabel,
		propagator:   propagation.TraceContext{},
		versionsByID: map[versionKey]*versionMetrics{},
		epoch:        time.Now(),
	}
	o.slotIDs = make([]uint32, 64)
	for i := range o.slotIDs {
		o.slotIDs[i] = uint32(i)
	}
	o.slots.New = func() any { return &o.slotIDs[o.nextSlot.Add(1)%uint32(len(o.slotIDs))] }
	if cfg.Tracer != nil {
		o.tracer = cfg.Tracer.Tracer("github.com/wisphq/wisp")
	}
	labels := []string{"app"}
	if o.versionLabel {
		labels = append(labels, "version")
	}
	o.app = newAppMetrics(labels)
	o.unrouted = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wisp_unrouted_requests_total",
		Help: "Requests no app served (no route, or the node starting or draining), by status class.",
	}, []string{"code"})
	o.deploys = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wisp_deploys_total",
		Help: "Deploys through this node, by outcome: deployed, unchanged, invalid, conflict, failed.",
	}, []string{"outcome"})
	o.deployTime = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "wisp_deploy_duration_seconds",
		Help:    "Time a deploy through this node took, compile and store included.",
		Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	})
	o.storeTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "wisp_store_operation_duration_seconds",
		Help:    "Time of the node's calls to its store (apps and blobs), by operation.",
		Buckets: []float64{.0001, .0005, .001, .005, .01, .05, .1, .5, 1, 5},
	}, []string{"op"})
	o.storeErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wisp_store_operation_errors_total",
		Help: "The node's calls to its store that failed (not-found answers excluded), by operation.",
	}, []string{"op"})
	o.fleetLag = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "wisp_fleet_follow_lag_seconds",
		Help:    "Time from a deploy through another node of the fleet to this node serving the new version (by the deploying node's clock).",
		Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
	})
	for _, op := range []string{"PutBlob", "OpenBlob", "StatBlob", "GetApp", "ListApps", "PutApp", "DeleteApp"} {
		o.storeTime.WithLabelValues(op)
		o.storeErrors.WithLabelValues(op)
	}
	for _, oc := range []wisp.DeployOutcome{wisp.DeployServing, wisp.DeployUnchanged, wisp.DeployInvalid, wisp.DeployConflict, wisp.DeployFailed} {
		o.deploys.WithLabelValues(string(oc))
	}
	cs := append([]prometheus.Collector{appCollector{o}}, o.unrouted, o.deploys, o.deployTime, o.storeTime, o.storeErrors, o.fleetLag)
	for _, c := range cs {
		if err := cfg.Registry.Register(c); err != nil {
			return nil, fmt.Errorf("telemetry: register metrics: %w", err)
		}
	}
	return o, nil
}

// slot returns the caller's slot: the one its P took last, or a new one
// after a GC emptied the pool.
func (o *Observer) slot() uint32 {
	p := o.slots.Get().(*uint32)
	id := *p
	o.slots.Put(p)
	return id
}

// Tracing reports whether o traces requests.
func (o *Observer) Tracing() bool { return o.tracer != nil }

// versionKey names one set of per-app series.
type versionKey struct {
	app     string
	version int // 0 without the version label
}

// Version implements wisp.Observer: the version's series are created (at
// zero) by its first invocation and deleted when the last version sharing
// them is released.
func (o *Observer) Version(app string, version int) wisp.VersionObserver {
	key := versionKey{app: app}
	labels := []string{app}
	if o.versionLabel {
		key.version = version
		labels = append(labels, strconv.Itoa(version))
	}
	o.versionsMu.Lock()
	defer o.versionsMu.Unlock()
	v, ok := o.versionsByID[key]
	if !ok {
		v = &versionMetrics{o: o, key: key, labels: labels}
		o.versionsByID[key] = v
	}
	v.refs++
	return v
}

// release drops one reference on v's series, deleting them with the last.
func (o *Observer) release(v *versionMetrics) {
	o.versionsMu.Lock()
	defer o.versionsMu.Unlock()
	if v.refs--; v.refs > 0 {
		return
	}
	delete(o.versionsByID, v.key)
	v.gone = true
	v.set.Store(nil)
}

// BeginRequest implements wisp.Observer.
func (o *Observer) BeginRequest(ctx context.Context, r *http.Request) (context.Context, wisp.Mark) {
	if o.tracer == nil {
		return ctx, wisp.Mark{} // the gateway measures the request's duration itself
	}
	m := wisp.Mark{Start: time.Now()}
	ctx = o.propagator.Extract(ctx, propagation.HeaderCarrier(r.Header))
	ctx, span := o.tracer.Start(ctx, spanNameOf(r), trace.WithSpanKind(trace.SpanKindServer),
		trace.WithTimestamp(m.Start), trace.WithAttributes(requestAttributes(r)...))
	m.Span = span
	return ctx, m
}

// EndRequest implements wisp.Observer.
func (o *Observer) EndRequest(m wisp.Mark, status int, app, route string) {
	if app == "" {
		o.unrouted.WithLabelValues(statusClass(status)).Inc()
	}
	if span, ok := m.Span.(trace.Span); ok {
		endRequestSpan(span, status, app, route)
	}
}

// Begin implements wisp.Observer for the node's own steps (routing).
func (o *Observer) Begin(ctx context.Context, step wisp.Step) (context.Context, wisp.Mark) {
	return o.begin(ctx, step)
}

// End implements wisp.Observer.
func (o *Observer) End(m wisp.Mark, err error) { endSpan(m, err) }

// begin starts a step's span, if tracing.
func (o *Observer) begin(ctx context.Context, step wisp.Step) (context.Context, wisp.Mark) {
	if o.tracer == nil {
		m := wisp.Mark{Step: step}
		if timed(step.Kind) {
			// Only durations are wanted: the monotonic clock alone, read
			// once, where time.Now reads the wall clock too.
			m.Start = o.epoch.Add(time.Since(o.epoch))
		}
		return ctx, m
	}
	m := wisp.Mark{Step: step, Start: time.Now()}
	ctx, span := o.tracer.Start(ctx, spanName(step), trace.WithTimestamp(m.Start),
		trace.WithSpanKind(spanKind(step)), trace.WithAttributes(stepAttributes(step)...))
	m.Span = span
	return ctx, m
}

// timed reports whether a step's duration is a metric: without traces,
// the other steps read no clock.
func timed(k wisp.StepKind) bool {
	switch k {
	case wisp.StepInstantiate, wisp.StepKV, wisp.StepOutbound, wisp.StepConfig:
		return true
	}
	return false
}

// Inject implements wisp.Observer.
func (o *Observer) Inject(ctx context.Context, h http.Header) {
	if o.tracer != nil {
		o.propagator.Inject(ctx, propagation.HeaderCarrier(h))
	}
}

// Deployed implements wisp.Observer.
func (o *Observer) Deployed(outcome wisp.DeployOutcome, d time.Duration) {
	o.deploys.WithLabelValues(string(outcome)).Inc()
	o.deployTime.Observe(d.Seconds())
}

// StoreCall implements wisp.Observer.
func (o *Observer) StoreCall(op string, d time.Duration, err error) {
	o.storeTime.WithLabelValues(op).Observe(d.Seconds())
	if err != nil && !errors.Is(err, wisp.ErrNotFound) {
		o.storeErrors.WithLabelValues(op).Inc()
	}
}

// FleetApplied implements wisp.Observer.
func (o *Observer) FleetApplied(lag time.Duration) { o.fleetLag.Observe(max(lag, 0).Seconds()) }

// statusClass is a status code's class label: "2xx"...
func statusClass(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return classes[status/100-1]
}

var classes = [5]string{"1xx", "2xx", "3xx", "4xx", "5xx"}
