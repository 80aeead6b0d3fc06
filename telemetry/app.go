package telemetry

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wisphq/wisp"
)

// appMetrics are the per-app metric families. Each is labelled by app (and
// version, unless Config.NoVersionLabel), plus the family's own labels.
type appMetrics struct {
	requests      *prometheus.CounterVec   // + code
	duration      *prometheus.HistogramVec //
	instanceStart *prometheus.HistogramVec
	inFlight      *prometheus.GaugeVec
	queued        *prometheus.GaugeVec
	rejections    *prometheus.CounterVec // + reason
	bodyBytes     *prometheus.CounterVec
	responseBytes *prometheus.CounterVec
	memoryPeak    *prometheus.GaugeVec
	hostCalls     *prometheus.HistogramVec // + service
	hostErrors    *prometheus.CounterVec   // + service
	cpu           *prometheus.CounterVec
	fuel          *prometheus.CounterVec
	cpuStops      *prometheus.CounterVec
}

// Label values of the per-app families: created with every version, so
// every series exists (at zero) as long as its version serves.
var (
	codeClasses = []string{"1xx", "2xx", "3xx", "4xx", "5xx"}
	rejections  = []wisp.Rejection{wisp.RejectQueueFull, wisp.RejectQueueTimeout, wisp.RejectInstances, wisp.RejectMemory, wisp.RejectAppShare}
	services    = []wisp.StepKind{wisp.StepKV, wisp.StepOutbound, wisp.StepConfig}
)

// Buckets, in seconds.
var (
	requestBuckets  = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
	instanceBuckets = []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .1}
	hostCallBuckets = []float64{.0001, .0005, .001, .005, .01, .05, .1, .5, 1}
)

func newAppMetrics(labels []string) appMetrics {
	with := func(extra string) []string { return append(append([]string{}, labels...), extra) }
	return appMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wisp_app_requests_total",
			Help: "Requests an app answered, by status class (1xx to 5xx; the node's own answers for it, such as 503 or 504, included).",
		}, with("code")),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "wisp_app_request_duration_seconds",
			Help:    "Time from a request's arrival to the end of its response.",
			Buckets: requestBuckets,
		}, labels),
		instanceStart: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "wisp_app_instance_start_seconds",
			Help:    "Time to create an instance before its entry point runs (loading released code from disk included; a reused instance: taking it from its pool).",
			Buckets: instanceBuckets,
		}, labels),
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "wisp_app_instances_running",
			Help: "Instances of the app starting or running now.",
		}, labels),
		queued: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "wisp_app_requests_queued",
			Help: "Invocations of the app waiting for a concurrency slot now (the app has max_concurrency instances running).",
		}, labels),
		rejections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wisp_app_rejections_total",
			Help: "Invocations and requests the node refused before running them (answered 503), by reason: queue_full, queue_timeout, instances, memory, app_share.",
		}, with("reason")),
		bodyBytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wisp_app_request_body_bytes_total",
			Help: "Bytes of request bodies read for the app.",
		}, labels),
		responseBytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wisp_app_response_body_bytes_total",
			Help: "Bytes of response bodies written for the app.",
		}, labels),
		memoryPeak: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "wisp_app_guest_memory_high_water_bytes",
			Help: "The largest linear memory any instance of the app reached, in bytes, since the version was loaded.",
		}, labels),
		hostCalls: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "wisp_app_host_call_duration_seconds",
			Help:    "Time of the app's calls to platform services, by service: kv (each key-value operation), outbound (an HTTP request, to its response header), config (a variable read).",
			Buckets: hostCallBuckets,
		}, with("service")),
		hostErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wisp_app_host_call_errors_total",
			Help: "The app's calls to platform services that failed (a key not found excluded), by service.",
		}, with("service")),
		cpu: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wisp_app_cpu_seconds_total",
			Help: "CPU time the app's invocations used, as metered (fuel at the fixed rate of docs/cpu.md), modules and components alike.",
		}, labels),
		fuel: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wisp_app_fuel_total",
			Help: "Fuel the app's invocations used: the deterministic count of their work that limits.cpu enforces.",
		}, labels),
		cpuStops: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wisp_app_cpu_limit_stops_total",
			Help: "Invocations of the app stopped at their limits.cpu (answered 503).",
		}, labels),
	}
}

func (a *appMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{a.requests, a.duration, a.instanceStart, a.inFlight, a.queued, a.rejections, a.bodyBytes, a.responseBytes, a.memoryPeak, a.hostCalls, a.hostErrors, a.cpu, a.fuel, a.cpuStops}
}

// versionMetrics observes the versions of one label set (one version, or
// every version of an app without the version label). Its series are
// created on its first invocation, so an app that gets no request costs no
// series, and deleted when its last version is released. It implements
// wisp.VersionObserver.
type versionMetrics struct {
	o      *Observer
	key    versionKey
	labels []string
	refs   int  // versions sharing these series; guarded by o.versionsMu
	gone   bool // released: no series any more; guarded by o.versionsMu

	set  atomic.Pointer[seriesSet]
	peak atomic.Int64
}

// seriesSet is one label set's series, resolved once so the request path
// only adds to them.
type seriesSet struct {
	requests      [5]prometheus.Counter
	duration      prometheus.Observer
	instanceStart prometheus.Observer
	inFlight      prometheus.Gauge
	queued        prometheus.Gauge
	rejections    map[wisp.Rejection]prometheus.Counter
	bodyBytes     prometheus.Counter
	responseBytes prometheus.Counter
	memoryPeak    prometheus.Gauge
	hostCalls     [3]prometheus.Observer
	hostErrors    [3]prometheus.Counter
	cpu           prometheus.Counter
	fuel          prometheus.Counter
	cpuStops      prometheus.Counter
}

// series returns v's series, creating them (at zero) on first use; nil
// once v is released.
func (v *versionMetrics) series() *seriesSet {
	if s := v.set.Load(); s != nil {
		return s
	}
	v.o.versionsMu.Lock()
	defer v.o.versionsMu.Unlock()
	if s := v.set.Load(); s != nil || v.gone {
		return s
	}
	s := v.o.app.newSeries(v.labels)
	v.set.Store(s)
	return s
}

// newSeries creates (at zero) and resolves the series of one label set.
func (a *appMetrics) newSeries(labels []string) *seriesSet {
	with := func(extra string) []string { return append(append([]string{}, labels...), extra) }
	v := &seriesSet{
		duration:      a.duration.WithLabelValues(labels...),
		instanceStart: a.instanceStart.WithLabelValues(labels...),
		inFlight:      a.inFlight.WithLabelValues(labels...),
		queued:        a.queued.WithLabelValues(labels...),
		rejections:    make(map[wisp.Rejection]prometheus.Counter, len(rejections)),
		bodyBytes:     a.bodyBytes.WithLabelValues(labels...),
		responseBytes: a.responseBytes.WithLabelValues(labels...),
		memoryPeak:    a.memoryPeak.WithLabelValues(labels...),
		cpu:           a.cpu.WithLabelValues(labels...),
		fuel:          a.fuel.WithLabelValues(labels...),
		cpuStops:      a.cpuStops.WithLabelValues(labels...),
	}
	for i, c := range codeClasses {
		v.requests[i] = a.requests.WithLabelValues(with(c)...)
	}
	for _, r := range rejections {
		v.rejections[r] = a.rejections.WithLabelValues(with(string(r))...)
	}
	for i, s := range services {
		v.hostCalls[i] = a.hostCalls.WithLabelValues(with(s.String())...)
		v.hostErrors[i] = a.hostErrors.WithLabelValues(with(s.String())...)
	}
	return v
}

// delete removes every series of one label set.
func (a *appMetrics) delete(labels []string) {
	for _, vec := range []*prometheus.MetricVec{a.duration.MetricVec, a.instanceStart.MetricVec, a.inFlight.MetricVec, a.queued.MetricVec,
		a.bodyBytes.MetricVec, a.responseBytes.MetricVec, a.memoryPeak.MetricVec, a.cpu.MetricVec, a.fuel.MetricVec, a.cpuStops.MetricVec} {
		vec.DeleteLabelValues(labels...)
	}
	partial := prometheus.Labels{"app": labels[0]}
	if len(labels) > 1 {
		partial["version"] = labels[1]
	}
	for _, vec := range []*prometheus.MetricVec{a.requests.MetricVec, a.rejections.MetricVec, a.hostCalls.MetricVec, a.hostErrors.MetricVec} {
		vec.DeletePartialMatch(partial)
	}
}

// Begin implements wisp.VersionObserver.
func (v *versionMetrics) Begin(ctx context.Context, step wisp.Step) (context.Context, wisp.Mark) {
	if s := v.series(); s != nil {
		switch step.Kind {
		case wisp.StepQueue:
			s.queued.Inc()
		case wisp.StepInstantiate:
			s.inFlight.Inc()
		}
	}
	return v.o.begin(ctx, step)
}

// End implements wisp.VersionObserver.
func (v *versionMetrics) End(m wisp.Mark, err error) {
	defer endSpan(m, err)
	s := v.series()
	if s == nil {
		return
	}
	switch m.Step.Kind {
	case wisp.StepQueue:
		s.queued.Dec()
	case wisp.StepInstantiate:
		s.instanceStart.Observe(time.Since(m.Start).Seconds())
		if err != nil { // it never ran: the run's End does not come
			s.inFlight.Dec()
		}
	case wisp.StepRun:
		s.inFlight.Dec()
	case wisp.StepKV, wisp.StepOutbound, wisp.StepConfig:
		i := serviceIndex(m.Step.Kind)
		s.hostCalls[i].Observe(time.Since(m.Start).Seconds())
		if err != nil && !errors.Is(err, wisp.ErrNotFound) {
			s.hostErrors[i].Inc()
		}
	}
}

func serviceIndex(k wisp.StepKind) int {
	switch k {
	case wisp.StepKV:
		return 0
	case wisp.StepOutbound:
		return 1
	}
	return 2
}

// Rejected implements wisp.VersionObserver.
func (v *versionMetrics) Rejected(reason wisp.Rejection) {
	s := v.series()
	if s == nil {
		return
	}
	if c, ok := s.rejections[reason]; ok {
		c.Inc()
	}
}

// Served implements wisp.VersionObserver.
func (v *versionMetrics) Served(status int, body, response int64, d time.Duration) {
	s := v.series()
	if s == nil {
		return
	}
	if status >= 100 && status <= 599 {
		s.requests[status/100-1].Inc()
	}
	s.duration.Observe(d.Seconds())
	if body > 0 {
		s.bodyBytes.Add(float64(body))
	}
	if response > 0 {
		s.responseBytes.Add(float64(response))
	}
}

// InstanceEnded implements wisp.VersionObserver.
func (v *versionMetrics) InstanceEnded(peak int64) {
	s := v.series()
	if s == nil {
		return
	}
	for {
		old := v.peak.Load()
		if peak <= old {
			return
		}
		if v.peak.CompareAndSwap(old, peak) {
			// The latest maximum, not peak: a concurrent larger one may
			// have been stored, and set, meanwhile.
			s.memoryPeak.Set(float64(v.peak.Load()))
			return
		}
	}
}

// Used implements wisp.VersionObserver.
func (v *versionMetrics) Used(fuel int64, cpu time.Duration, stopped bool) {
	s := v.series()
	if s == nil {
		return
	}
	if fuel > 0 {
		s.fuel.Add(float64(fuel))
		s.cpu.Add(cpu.Seconds())
	}
	if stopped {
		s.cpuStops.Inc()
	}
}

// Release implements wisp.VersionObserver.
func (v *versionMetrics) Release() { v.o.release(v) }
