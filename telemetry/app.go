package telemetry

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wisphq/wisp"
)

// The per-app series are counted by the request path in plain atomic
// integers, in shards, each P keeping to one (Observer.slot) so requests
// on different cores do not write the same cache lines, and turned into
// Prometheus metrics only when scraped (appCollector). The official
// client's counters and histograms would do the same work with several
// contended atomic operations on shared lines per request: with two cores
// serving, they doubled the metrics' cost per request (telemetry's
// BenchmarkVersionRequest, docs/benchmarks.md). Durations and CPU are
// counted in nanoseconds, so sums are exact.

// Label values of the per-app families: every series exists (at zero)
// from its label set's first invocation to its release.
var (
	codeClasses = [...]string{"1xx", "2xx", "3xx", "4xx", "5xx"}
	rejections  = [...]wisp.Rejection{wisp.RejectQueueFull, wisp.RejectQueueTimeout, wisp.RejectInstances, wisp.RejectMemory, wisp.RejectAppShare}
	services    = [...]wisp.StepKind{wisp.StepKV, wisp.StepOutbound, wisp.StepConfig}
)

// Buckets' upper bounds, in seconds.
var (
	requestBuckets  = [...]float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
	instanceBuckets = [...]float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .1}
	hostCallBuckets = [...]float64{.0001, .0005, .001, .005, .01, .05, .1, .5, 1}
)

// maxShards bounds the shards of a label set (its memory is about 700
// bytes per shard).
const maxShards = 16

// shardCount is the shards per label set: twice GOMAXPROCS rounded up to
// a power of two, at most maxShards. Each P keeps to one shard
// (Observer.slot); twice as many as there are Ps makes two Ps sharing one
// rare.
func shardCount() int {
	n := 1
	for n < 2*runtime.GOMAXPROCS(0) && n < maxShards {
		n *= 2
	}
	return n
}

// appMetrics describes the per-app families. Each is labelled by app (and
// version, unless Config.NoVersionLabel), plus the family's own label.
type appMetrics struct {
	requests, duration, instanceStart, inFlight, queued, rejections, bodyBytes,
	responseBytes, memoryPeak, hostCalls, hostErrors, cpu, fuel, cpuStops *prometheus.Desc
	shards int
}

func newAppMetrics(labels []string) appMetrics {
	with := func(extra string) []string { return append(append([]string{}, labels...), extra) }
	return appMetrics{
		requests: prometheus.NewDesc("wisp_app_requests_total",
			"Requests an app answered, by status class (1xx to 5xx; the node's own answers for it, such as 503 or 504, included).", with("code"), nil),
		duration: prometheus.NewDesc("wisp_app_request_duration_seconds",
			"Time from a request's arrival to the end of its response.", labels, nil),
		instanceStart: prometheus.NewDesc("wisp_app_instance_start_seconds",
			"Time to create an instance before its entry point runs (loading released code from disk included; a reused instance: taking it from its pool).", labels, nil),
		inFlight: prometheus.NewDesc("wisp_app_instances_running",
			"Instances of the app starting or running now.", labels, nil),
		queued: prometheus.NewDesc("wisp_app_requests_queued",
			"Invocations of the app waiting for a concurrency slot now (the app has max_concurrency instances running).", labels, nil),
		rejections: prometheus.NewDesc("wisp_app_rejections_total",
			"Invocations and requests the node refused before running them (answered 503), by reason: queue_full, queue_timeout, instances, memory, app_share.", with("reason"), nil),
		bodyBytes: prometheus.NewDesc("wisp_app_request_body_bytes_total",
			"Bytes of request bodies read for the app.", labels, nil),
		responseBytes: prometheus.NewDesc("wisp_app_response_body_bytes_total",
			"Bytes of response bodies written for the app.", labels, nil),
		memoryPeak: prometheus.NewDesc("wisp_app_guest_memory_high_water_bytes",
			"The largest linear memory any instance of the app reached, in bytes, since the version was loaded.", labels, nil),
		hostCalls: prometheus.NewDesc("wisp_app_host_call_duration_seconds",
			"Time of the app's calls to platform services, by service: kv (each key-value operation), outbound (an HTTP request, to its response header), config (a variable read).", with("service"), nil),
		hostErrors: prometheus.NewDesc("wisp_app_host_call_errors_total",
			"The app's calls to platform services that failed (a key not found excluded), by service.", with("service"), nil),
		cpu: prometheus.NewDesc("wisp_app_cpu_seconds_total",
			"CPU time the app's invocations used, as metered (fuel at the fixed rate of docs/cpu.md), modules and components alike.", labels, nil),
		fuel: prometheus.NewDesc("wisp_app_fuel_total",
			"Fuel the app's invocations used: the deterministic count of their work that limits.cpu enforces.", labels, nil),
		cpuStops: prometheus.NewDesc("wisp_app_cpu_limit_stops_total",
			"Invocations of the app stopped at their limits.cpu (answered 503).", labels, nil),
		shards: shardCount(),
	}
}

// versionMetrics observes the versions of one label set (one version, or
// every version of an app without the version label). Its series are
// created on its first invocation, so an app that gets no request costs no
// series, and dropped when its last version is released. It implements
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

// seriesSet is one label set's counts, in shards.
type seriesSet struct {
	o      *Observer
	shards []shard
	mask   uint32
}

// shard is a share of a label set's counts. Histograms count each bucket
// on its own (not cumulatively), the last slot past the largest bound.
type shard struct {
	requests      [len(codeClasses)]atomic.Uint64
	duration      [len(requestBuckets) + 1]atomic.Uint64
	durationSum   atomic.Int64 // nanoseconds
	start         [len(instanceBuckets) + 1]atomic.Uint64
	startSum      atomic.Int64
	inFlight      atomic.Int64
	queued        atomic.Int64
	rejections    [len(rejections)]atomic.Uint64
	bodyBytes     atomic.Uint64
	responseBytes atomic.Uint64
	hostCalls     [len(services)][len(hostCallBuckets) + 1]atomic.Uint64
	hostSums      [len(services)]atomic.Int64
	hostErrors    [len(services)]atomic.Uint64
	cpu           atomic.Int64 // nanoseconds
	fuel          atomic.Uint64
	cpuStops      atomic.Uint64
	_             [64]byte // the next shard starts on another cache line
}

// shard returns the shard of s for the caller's slot (Observer.slot):
// each core keeps updating the same shard, whose cache lines then stay in
// its cache.
func (s *seriesSet) shard() *shard { return &s.shards[s.o.slot()&s.mask] }

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
	n := v.o.app.shards
	s := &seriesSet{o: v.o, shards: make([]shard, n), mask: uint32(n - 1)}
	v.set.Store(s)
	return s
}

// observe counts d in a histogram's buckets and adds it to its sum.
func observe(counts []atomic.Uint64, sum *atomic.Int64, bounds []float64, d time.Duration) {
	secs, i := d.Seconds(), 0
	for i < len(bounds) && secs > bounds[i] {
		i++
	}
	counts[i].Add(1)
	sum.Add(int64(d))
}

// Begin implements wisp.VersionObserver.
func (v *versionMetrics) Begin(ctx context.Context, step wisp.Step) (context.Context, wisp.Mark) {
	if s := v.series(); s != nil {
		switch step.Kind {
		case wisp.StepQueue:
			s.shard().queued.Add(1)
		case wisp.StepInstantiate:
			s.shard().inFlight.Add(1)
		}
	}
	return v.o.begin(ctx, step)
}

// End implements wisp.VersionObserver.
func (v *versionMetrics) End(m wisp.Mark, err error) {
	if m.Span != nil {
		defer endSpan(m, err)
	}
	s := v.series()
	if s == nil {
		return
	}
	switch m.Step.Kind {
	case wisp.StepQueue:
		s.shard().queued.Add(-1)
	case wisp.StepInstantiate:
		sh := s.shard()
		observe(sh.start[:], &sh.startSum, instanceBuckets[:], time.Since(m.Start))
		if err != nil { // it never ran: the run's End does not come
			sh.inFlight.Add(-1)
		}
	case wisp.StepRun:
		s.shard().inFlight.Add(-1)
	case wisp.StepKV, wisp.StepOutbound, wisp.StepConfig:
		i, sh := serviceIndex(m.Step.Kind), s.shard()
		observe(sh.hostCalls[i][:], &sh.hostSums[i], hostCallBuckets[:], time.Since(m.Start))
		if err != nil && !errors.Is(err, wisp.ErrNotFound) {
			sh.hostErrors[i].Add(1)
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
	for i, r := range rejections {
		if r == reason {
			s.shard().rejections[i].Add(1)
		}
	}
}

// Served implements wisp.VersionObserver.
func (v *versionMetrics) Served(status int, body, response int64, d time.Duration) {
	s := v.series()
	if s == nil {
		return
	}
	sh := s.shard()
	if status >= 100 && status <= 599 {
		sh.requests[status/100-1].Add(1)
	}
	observe(sh.duration[:], &sh.durationSum, requestBuckets[:], d)
	if body > 0 {
		sh.bodyBytes.Add(uint64(body))
	}
	if response > 0 {
		sh.responseBytes.Add(uint64(response))
	}
}

// InstanceEnded implements wisp.VersionObserver: the high-water mark only
// changes (a write, on a line every core reads) when an instance exceeds
// it.
func (v *versionMetrics) InstanceEnded(peak int64) {
	for {
		old := v.peak.Load()
		if peak <= old || v.peak.CompareAndSwap(old, peak) {
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
	sh := s.shard()
	if fuel > 0 {
		sh.fuel.Add(uint64(fuel))
		sh.cpu.Add(int64(cpu))
	}
	if stopped {
		sh.cpuStops.Add(1)
	}
}

// Release implements wisp.VersionObserver.
func (v *versionMetrics) Release() { v.o.release(v) }
